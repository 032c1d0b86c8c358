//! Devices split across two real relay instances on one PostgreSQL converge,
//! live: what one device writes through instance A reaches, over its
//! WebSocket, a device connected to instance B.

#[path = "../../server/tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use attune_e2e::{binary, Device, Relay};

fn watch(d: &Device) -> Child {
    Command::new(binary("attune"))
        .arg("--dir")
        .arg(&d.dir)
        .args(["sync", "--watch"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_for(d: &Device, text: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if d.json(&["list", "--json"]).to_string().contains(text) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn devices_on_two_instances_of_one_postgres_converge_live() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(schema) = rt.block_on(pg::schema()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let url = schema.url();
    let one = Relay::start_with(
        &tmp.path().join("one"),
        "127.0.0.1:0",
        "info",
        &["--database", &url],
    );
    let two = Relay::start_with(
        &tmp.path().join("two"),
        "127.0.0.1:0",
        "info",
        &["--database", &url],
    );

    let a = Device::new(tmp.path().join("a"));
    a.init_with_relay("a", &one);
    a.write(&["--body", "written before b joined"]);
    a.ok(&["sync"]);
    let b = Device::new(tmp.path().join("b"));
    b.join("b", &a, &two);
    assert!(b
        .json(&["list", "--json"])
        .to_string()
        .contains("written before b joined"));

    let mut watch_a = watch(&a);
    let mut watch_b = watch(&b);
    std::thread::sleep(Duration::from_millis(500));
    a.write(&["--body", "through instance one"]);
    b.write(&["--body", "through instance two"]);
    let arrived = wait_for(&b, "through instance one") && wait_for(&a, "through instance two");
    let _ = watch_a.kill();
    let _ = watch_b.kill();
    let _ = (watch_a.wait(), watch_b.wait());
    assert!(arrived, "live delivery across instances");
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert_eq!(a.snapshot(), b.snapshot());
    drop((one, two));
}
