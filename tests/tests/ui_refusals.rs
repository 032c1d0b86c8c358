//! `attune ui` refuses what is not its own page: a wrong `Host`, a foreign
//! `Origin`, no session, a used or wrong token, a write without `Origin` or
//! JSON (curl against the real binary); and no entry text reaches page
//! titles, URLs or the request log (chromium, `tests/browser/leaks.mjs`).

use std::process::Command;

use attune_e2e::ui::{journal, shots_env, stdout, strings};

/// `curl` against the server; answers (status, headers lowercased).
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-D", "-", "--max-time", "10"])
        .args(args)
        .output()
        .expect("run curl");
    let head = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("curl {args:?}: no status in {head:?}"));
    (status, head.to_lowercase())
}

fn session_cookie(head: &str) -> String {
    head.lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_string())
        .filter(|c| c.starts_with("attune_ui="))
        .unwrap_or_else(|| panic!("no attune_ui cookie in {head}"))
}

#[test]
fn refusals_and_no_entry_text_in_titles_urls_or_logs() {
    let Some(browser) = attune_e2e::browser() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let d = journal(tmp.path());

    // The refusals, with curl, against one server.
    let server = d.ui(&["--no-sync"]);
    let origin = server.origin.clone();
    let port = origin.rsplit(':').next().expect("port").to_string();
    let real = server.opening_url.clone();
    let token_at = real.find("token=").expect("token") + "token=".len();
    let wrong = format!("{}{}", &real[..token_at], "0".repeat(64));

    let (status, _) = curl(&[
        "-H",
        &format!("Host: evil.example:{port}"),
        &format!("{origin}/"),
    ]);
    assert_eq!(status, 421, "a foreign Host header");
    println!("ok - Host: evil.example → 421");
    let (status, _) = curl(&[&wrong]);
    assert_eq!(status, 403, "a wrong token");
    println!("ok - a wrong token → 403");
    let (status, head) = curl(&[&real]);
    assert!(
        (300..400).contains(&status),
        "the real token after a wrong one: {status}\n{head}"
    );
    let cookie = session_cookie(&head);
    assert!(
        head.contains("httponly") && head.contains("samesite=strict"),
        "{head}"
    );
    println!("ok - the real token still works after a wrong one ({status})");
    let (status, _) = curl(&[&real]);
    assert_eq!(status, 403, "the real token a second time");
    println!("ok - the real token a second time → 403");

    let (status, _) = curl(&[
        "-H",
        &format!("Cookie: {cookie}"),
        &format!("{origin}/api/session"),
    ]);
    assert_eq!(status, 200, "the cookie works");
    let (status, _) = curl(&[
        "-H",
        &format!("Cookie: {cookie}"),
        "-H",
        "Origin: http://evil.example",
        &format!("{origin}/api/session"),
    ]);
    assert_eq!(status, 403, "a foreign Origin with the cookie");
    println!("ok - Origin: http://evil.example with the cookie → 403");
    let (status, _) = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("Origin: {origin}"),
        "-H",
        "Content-Type: application/json",
        "--data",
        "{}",
        &format!("{origin}/api/entries/list"),
    ]);
    assert_eq!(status, 401, "no cookie");
    println!("ok - no cookie on /api/entries/list → 401");
    let create = r#"{"kind":"micro-win","body":"curl control entry"}"#;
    // POST /api/entries with these headers.
    let create_with = |headers: &[String]| {
        let mut args: Vec<String> = vec!["-X".into(), "POST".into()];
        for h in headers {
            args.extend(["-H".to_string(), h.clone()]);
        }
        args.extend([
            "--data".to_string(),
            create.to_string(),
            format!("{origin}/api/entries"),
        ]);
        curl(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (status, _) = create_with(&[
        format!("Cookie: {cookie}"),
        "Content-Type: application/json".to_string(),
    ]);
    assert_eq!(status, 403, "a change without Origin");
    println!("ok - POST /api/entries without Origin → 403");
    let (status, _) = create_with(&[
        format!("Cookie: {cookie}"),
        format!("Origin: {origin}"),
        "Content-Type: text/plain".to_string(),
    ]);
    assert_eq!(status, 415, "text/plain");
    println!("ok - POST /api/entries as text/plain → 415");
    let (status, _) = create_with(&[
        format!("Cookie: {cookie}"),
        format!("Origin: {origin}"),
        "Content-Type: application/json".to_string(),
    ]);
    assert_eq!(status, 201, "the same request done right is accepted");
    let (status, head) = curl(&["-H", &format!("Cookie: {cookie}"), &format!("{origin}/")]);
    assert_eq!(status, 200, "{head}");
    let csp = head
        .lines()
        .find_map(|l| l.strip_prefix("content-security-policy: "))
        .unwrap_or_else(|| panic!("no CSP in {head}"));
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(head.contains("x-frame-options: deny"), "{head}");
    println!("ok - CSP and X-Frame-Options are set");
    assert_eq!(
        d.json(&["list", "--json"]).as_array().map(Vec::len),
        Some(1),
        "only the accepted request wrote"
    );
    drop(server);

    // The browser part, on a fresh server (and a fresh log).
    let server = d.ui(&["--no-sync"]);
    let body = "Velvet thunderstorm over the pomegranate orchard";
    let out = browser.run(
        "leaks.mjs",
        &[
            ("OPENING_URL", server.opening_url.clone()),
            ("BODY", body.to_string()),
            ("EDIT_WORD", "zeppelin".to_string()),
            ("SEARCH_WORD", "pomegranate".to_string()),
            (
                "SECRET_WORDS",
                "velvet,thunderstorm,pomegranate,orchard,zeppelin".to_string(),
            ),
            shots_env(),
        ],
    );
    let text = stdout("leaks.mjs", &out);
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("ENTRY_ID="))
        .expect("the script printed the entry id")
        .trim()
        .to_string();
    let log = server.log_text();
    drop(server);
    assert!(
        log.contains("ui request"),
        "the server logged its requests:\n{log}"
    );
    assert!(log.contains("/api/entries/search"), "{log}");
    for word in [
        "velvet",
        "thunderstorm",
        "pomegranate",
        "orchard",
        "zeppelin",
        id.as_str(),
    ] {
        assert!(
            !log.to_lowercase().contains(word),
            "the log holds {word:?}:\n{log}"
        );
    }
    assert!(
        !log.contains("token="),
        "the log holds the opening token:\n{log}"
    );
    let shown = d.json(&["show", &id, "--json"]);
    assert_eq!(shown["body"], format!("{body} zeppelin"), "{shown:#}");
    assert_eq!(strings(&shown["tags"]), ["leakcheck"], "{shown:#}");
}
