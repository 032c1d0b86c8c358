//! Insights in words and SVG plots, and on this day (all from attune-insights).

use std::collections::HashMap;

use attune_core::Query;
use attune_insights::plot::data::PlotData;
use attune_insights::plot::svg::{self, SvgOptions};
use attune_insights::plot::Plot;
use attune_insights::{insights as compute, Area, Journal, Options};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::journal::now;
use crate::state::{guard, AppState};

/// `GET /api/insights`.
pub async fn insights(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let entries = state
        .journal
        .with(|store| Ok(store.list(&Query::default())?))
        .await?;
    let page = tokio::task::spawn_blocking(move || {
        let today = now();
        let all = compute(&entries, today, &Options::default());
        let data = PlotData::new(&Journal::new(&entries, today), &all);
        let drawn: HashMap<&'static str, String> = Plot::ALL
            .iter()
            .map(|p| {
                (
                    p.key(),
                    svg::render(*p, &data, &SvgOptions { footer: None }),
                )
            })
            .collect();
        let areas: Vec<Value> = Area::ALL
            .iter()
            .filter(|a| **a != Area::OnThisDay)
            .map(|area| {
                let plots: Vec<Value> = area
                    .plots()
                    .iter()
                    .map(|plot| {
                        json!({
                            "key": plot.key(),
                            "title": plot.title(),
                            "description": plot.description(),
                            "src": format!("/api/insights/plots/{}.svg", plot.key()),
                        })
                    })
                    .collect();
                json!({
                    "key": area.key(),
                    "title": area.title(),
                    "lines": all.lines(*area),
                    "plots": plots,
                })
            })
            .collect();
        let by_id: std::collections::HashMap<String, &attune_core::Entry> =
            entries.iter().map(|e| (e.id.to_string(), e)).collect();
        let on_this_day: Vec<Value> = all
            .on_this_day
            .memories
            .iter()
            .filter_map(|m| by_id.get(&m.id))
            .map(|e| {
                let mut v =
                    serde_json::to_value(attune_client::portable::document::EntryRecord::of(e))
                        .unwrap_or(Value::Null);
                v["heavy"] = json!(e.is_heavy());
                v
            })
            .collect();
        let page = json!({
            "today": all.today,
            "areas": areas,
            "on_this_day": on_this_day,
            "on_this_day_lines": all.lines(Area::OnThisDay),
        });
        (page, drawn)
    })
    .await?;
    let (page, drawn) = page;
    *guard(&state.plots) = drawn;
    Ok(Json(page))
}

/// `GET /api/insights/plots/{key}.svg`: one plot as an image document.
///
/// Images, not inline SVG: each plot keeps its own styles and ids, and the
/// page's policy stays free of inline styles (the guard gives these answers
/// a policy of their own that allows only their `<style>`).
pub async fn plot(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let key = file.strip_suffix(".svg").unwrap_or(&file).to_string();
    let plot = Plot::ALL
        .into_iter()
        .find(|p| p.key() == key)
        .ok_or_else(|| ApiError::not_found("there is no such plot"))?;
    if let Some(svg) = guard(&state.plots).get(plot.key()).cloned() {
        return Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response());
    }
    // Asked for on its own (not right after the page's insights call): draw it now.
    let entries = state
        .journal
        .with(|store| Ok(store.list(&Query::default())?))
        .await?;
    let svg = tokio::task::spawn_blocking(move || {
        let today = now();
        let all = compute(&entries, today, &Options::default());
        let data = PlotData::new(&Journal::new(&entries, today), &all);
        svg::render(plot, &data, &SvgOptions { footer: None })
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}
