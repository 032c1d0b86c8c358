//! The API in process, over a real socket: paging, the sealed draft, the idle
//! lock and its passphrase, plots as images. The browser tests (attune-e2e
//! `ui_browser`) drive the same server through the real binary and chromium.

use std::time::Duration;

use attune_client::{InitOptions, Store};
use attune_core::{NewEntry, Timestamp};
use attune_ui::{Ui, UiOptions};
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Client, Method, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};

struct Session {
    client: Client,
    origin: String,
    cookie: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Session {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.origin))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &self.origin);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

async fn serve(dir: &std::path::Path, passphrase: Option<&str>, idle: Duration) -> Session {
    let pass = passphrase.map(|p| SecretString::from(p.to_string()));
    let identity = {
        let store = Store::open(dir, &mut || {
            pass.clone()
                .ok_or(attune_client::StoreError::PassphraseRequired)
        })
        .expect("open");
        store.identity().clone()
    };
    let mut options = UiOptions::new(dir.to_path_buf(), identity);
    options.idle_lock = idle;
    options.live_sync = false;
    let ui = Ui::bind(options).await.expect("bind");
    let opening = ui.opening_url();
    let origin = opening.split("/open").next().expect("origin").to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(ui.run(async {
        let _ = stopped.await;
    }));
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = client.get(&opening).send().await.expect("open");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let set = response.headers()[SET_COOKIE]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().expect("pair").to_string();
    Session {
        client,
        origin,
        cookie,
        _stop: stop,
    }
}

fn journal(dir: &std::path::Path, passphrase: Option<&str>) -> Store {
    Store::init(
        dir,
        InitOptions {
            device_name: "laptop".into(),
            passphrase: passphrase.map(|p| SecretString::from(p.to_string())),
            work_factor: passphrase.map(|_| 10),
        },
    )
    .expect("init")
}

#[tokio::test]
async fn the_timeline_pages_newest_first_without_gaps_or_repeats() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("j");
    {
        let mut store = journal(&dir, None);
        let now = attune_client::store::now_ms();
        for i in 0..130_i64 {
            // Two entries share each millisecond: the cursor must tell them apart.
            let at = Timestamp::new(now - (i / 2) * 3 * 86_400_000, 60);
            let new = NewEntry {
                body: format!("entry {i}"),
                ..Default::default()
            };
            store.create(at, new).expect("create");
        }
    }
    let session = serve(&dir, None, Duration::from_secs(600)).await;
    let mut seen = Vec::new();
    let mut before = Value::Null;
    loop {
        let (status, page) = session
            .call(
                Method::POST,
                "/api/entries/list",
                Some(json!({ "limit": 50, "before": before })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for e in page["entries"].as_array().expect("entries") {
            seen.push((
                e["created_unix_ms"].as_i64().expect("ms"),
                e["id"].as_str().expect("id").to_string(),
            ));
        }
        before = page["next"].clone();
        if before.is_null() {
            break;
        }
    }
    assert_eq!(seen.len(), 130);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first, in one order");
    sorted.dedup();
    assert_eq!(sorted.len(), 130, "no entry twice");
}

#[tokio::test]
async fn the_draft_is_sealed_on_disk_and_comes_back() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("j");
    drop(journal(&dir, None));
    let session = serve(&dir, None, Duration::from_secs(600)).await;
    let draft = json!({ "kind": "note", "body": "The heron stood very still" });
    let (status, _) = session
        .call(Method::PUT, "/api/draft", Some(draft.clone()))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let on_disk = std::fs::read(dir.join("draft")).expect("draft file");
    assert!(
        !String::from_utf8_lossy(&on_disk).contains("heron"),
        "the draft is sealed"
    );
    let (_, back) = session.call(Method::GET, "/api/draft", None).await;
    assert_eq!(back["draft"], draft);
    let (status, _) = session.call(Method::DELETE, "/api/draft", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!dir.join("draft").exists());
}

#[tokio::test]
async fn the_idle_lock_hides_the_journal_until_the_passphrase_is_given() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("j");
    {
        let mut store = journal(&dir, Some("correct horse battery staple"));
        store
            .create(
                Timestamp::new(attune_client::store::now_ms(), 0),
                NewEntry {
                    body: "kept".into(),
                    ..Default::default()
                },
            )
            .expect("create");
    }
    let session = serve(
        &dir,
        Some("correct horse battery staple"),
        Duration::from_millis(400),
    )
    .await;
    let (status, _) = session
        .call(Method::POST, "/api/entries/list", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, body) = session
        .call(Method::POST, "/api/entries/list", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::LOCKED, "{body}");
    assert_eq!(body["error"], "locked");
    let (status, crisis) = session.call(Method::GET, "/api/crisis", None).await;
    assert_eq!(status, StatusCode::OK, "crisis help answers while locked");
    assert!(crisis["note"].as_str().is_some_and(|n| n.contains("988")));
    assert!(crisis["plan"].is_null(), "but not the personal plan");
    let (status, _) = session
        .call(Method::POST, "/api/unlock", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = session
        .call(
            Method::POST,
            "/api/unlock",
            Some(json!({ "passphrase": "wrong" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = session
        .call(
            Method::POST,
            "/api/unlock",
            Some(json!({ "passphrase": "correct horse battery staple" })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = session
        .call(Method::POST, "/api/entries/list", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn writes_need_json_from_this_origin_and_plots_are_images_with_their_own_policy() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("j");
    drop(journal(&dir, None));
    let session = serve(&dir, None, Duration::from_secs(600)).await;
    let url = format!("{}/api/entries", session.origin);
    let form = session
        .client
        .post(&url)
        .header(COOKIE, &session.cookie)
        .header(ORIGIN, &session.origin)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("kind=note&body=x")
        .send()
        .await
        .expect("post");
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let no_origin = session
        .client
        .post(&url)
        .header(COOKIE, &session.cookie)
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "kind": "note", "body": "x" }).to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(no_origin.status(), StatusCode::FORBIDDEN);
    let (status, entry) = session
        .call(Method::POST, "/api/entries", Some(json!({ "kind": "conversation", "body": "ok", "fields": { "connection": "4", "felt-heard": "yes" }, "steadiness": 3 })))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    assert_eq!(entry["fields"]["connection"], 4);
    let (status, bad) = session
        .call(
            Method::POST,
            "/api/entries",
            Some(json!({ "kind": "conversation", "fields": { "connection": "9" } })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        bad["message"]
            .as_str()
            .is_some_and(|m| m.contains("connection")),
        "{bad}"
    );
    let plot = session
        .client
        .get(format!(
            "{}/api/insights/plots/calendar.svg",
            session.origin
        ))
        .header(COOKIE, &session.cookie)
        .send()
        .await
        .expect("plot");
    assert_eq!(plot.status(), StatusCode::OK);
    assert_eq!(plot.headers()[CONTENT_TYPE], "image/svg+xml");
    let policy = plot.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(!policy.contains("script-src"), "{policy}");
    assert!(plot.text().await.expect("svg").starts_with("<svg"));
}
