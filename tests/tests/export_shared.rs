//! Exports that leave Attune's own formats: a page for someone else (names,
//! notes and tags stay home) and raw Automerge documents that another
//! Automerge implementation loads (the JavaScript one, when node is here).

use std::path::Path;
use std::process::Command;

use attune_e2e::Device;
use serde_json::Value;

fn journal(tmp: &Path) -> Device {
    let d = Device::new(tmp.join("journal"));
    d.ok(&["init", "--name", "laptop", "--no-passphrase"]);
    d.ok(&[
        "write",
        "--kind",
        "session",
        "-b",
        "Talked about Ana and the <move>.",
        "-p",
        "Ana",
        "--notes",
        "private: do not share",
        "-t",
        "secret-tag",
        "--steadiness",
        "3",
        "--at",
        "2026-11-05 17:00",
        "--no-prompt",
    ]);
    d.ok(&[
        "write",
        "--kind",
        "setback",
        "-b",
        "Rough night.",
        "--at",
        "2026-11-12 23:00",
        "--no-prompt",
    ]);
    d.ok(&[
        "write",
        "--kind",
        "micro-win",
        "-b",
        "Old win.",
        "--at",
        "2026-09-01 09:00",
        "--no-prompt",
    ]);
    d.ok(&[
        "write",
        "--kind",
        "conversation",
        "-b",
        "Not for the page.",
        "--at",
        "2026-11-20 12:00",
        "--no-prompt",
    ]);
    d
}

#[test]
fn a_page_for_someone_else_holds_only_what_was_chosen() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = journal(tmp.path());
    let page = tmp.path().join("for-therapist.html");
    let args = [
        "export",
        "--for-someone",
        "--format",
        "html",
        "--since",
        "2026-11-01",
        "--kind",
        "session,setback",
        "-o",
        page.to_str().expect("path"),
    ];
    d.ok(&args);
    let html = std::fs::read_to_string(&page).expect("page");
    assert!(
        html.contains("Talked about (someone) and the &lt;move&gt;."),
        "{html}"
    );
    assert!(html.contains("Rough night."));
    for absent in [
        "Ana",
        "private: do not share",
        "secret-tag",
        "Old win.",
        "Not for the page.",
        "<script",
        "http://",
        "https://",
    ] {
        assert!(!html.contains(absent), "{absent:?} leaked into the page");
    }
    assert!(html.contains("Left out:") && html.contains("people") && html.contains("notes"));
    assert!(html.contains("from 2026-11-01"));

    let kept = d.ok(&[
        "export",
        "--for-someone",
        "--keep-people",
        "--format",
        "html",
        "--kind",
        "session",
    ]);
    assert!(kept.contains("With Ana"), "{kept}");
    let out = d.run(&["export", "--format", "html"]);
    assert!(
        !out.status.success(),
        "html is only the page for someone else"
    );
}

/// The JavaScript Automerge package, installed once into a cache folder; `None` without node or npm.
fn js_automerge() -> Option<std::path::PathBuf> {
    let home = std::env::var_os("HOME")?;
    let dir = Path::new(&home).join(".cache/attune-js-automerge");
    if !dir.join("node_modules/@automerge/automerge").exists() {
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg("@automerge/automerge@2")
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
    }
    Some(dir)
}

#[test]
fn automerge_documents_load_in_another_implementation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = journal(tmp.path());
    let folder = tmp.path().join("automerge");
    d.ok(&[
        "export",
        "--format",
        "automerge",
        "-o",
        folder.to_str().expect("path"),
    ]);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).expect("manifest"))
            .expect("json");
    let entries = manifest["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 4);
    let listed: Vec<Value> = d
        .json(&["list", "--json"])
        .as_array()
        .cloned()
        .unwrap_or_default();

    // Loaded as plain Automerge (not through Attune's own wrapper).
    use automerge::ReadDoc;
    for e in entries {
        let bytes = std::fs::read(folder.join(e["file"].as_str().expect("file"))).expect("doc");
        let doc = automerge::Automerge::load(&bytes).expect("standard Automerge bytes");
        let (_, body) = doc
            .get(automerge::ROOT, "body")
            .expect("read")
            .expect("a body");
        let body = doc.text(&body).expect("text");
        let same = listed.iter().find(|l| l["id"] == e["id"]).expect("listed");
        assert_eq!(same["body"], Value::from(body));
    }

    let Some(js) = js_automerge() else {
        eprintln!("node or npm is missing: checked with the Rust implementation only");
        return;
    };
    // ES modules resolve packages from the script's own folder.
    let script = js.join("load-attune-export.mjs");
    std::fs::write(
        &script,
        "import * as A from '@automerge/automerge';\nimport fs from 'fs';\n\
         const dir = process.argv[2];\n\
         const m = JSON.parse(fs.readFileSync(dir + '/manifest.json'));\n\
         console.log(JSON.stringify(m.entries.map(e => { const d = A.load(new Uint8Array(fs.readFileSync(dir + '/' + e.file))); return {id: d.id, body: String(d.body)}; })));\n",
    )
    .expect("script");
    let out = Command::new("node")
        .arg(&script)
        .arg(&folder)
        .current_dir(&js)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loaded: Vec<Value> = serde_json::from_slice(&out.stdout).expect("json from node");
    assert_eq!(loaded.len(), 4);
    for l in &loaded {
        let same = listed.iter().find(|e| e["id"] == l["id"]).expect("same id");
        assert_eq!(same["body"], l["body"]);
    }
}
