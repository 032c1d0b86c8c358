//! The writer's safety plan, sealed in `safety-plan`.

use super::Store;
use crate::dir::layout::SAFETY_FILE;
use crate::dir::sealed::Purpose;
use crate::safety::SafetyPlan;
use crate::StoreError;

impl Store {
    /// The writer's safety plan (empty if never written).
    pub fn safety_plan(&self) -> Result<SafetyPlan, StoreError> {
        let path = self.dir.join(SAFETY_FILE);
        match self.sealer.read(&path, Purpose::SafetyPlan, "")? {
            Some(plain) => {
                serde_json::from_slice(&plain).map_err(|e| StoreError::damaged(&path, e))
            }
            None => Ok(SafetyPlan::default()),
        }
    }

    /// Save the writer's safety plan.
    pub fn set_safety_plan(&mut self, plan: &SafetyPlan) -> Result<(), StoreError> {
        let path = self.dir.join(SAFETY_FILE);
        let plain = serde_json::to_vec(plan).map_err(|e| StoreError::damaged(&path, e))?;
        self.sealer.write(&path, Purpose::SafetyPlan, "", &plain)
    }
}
