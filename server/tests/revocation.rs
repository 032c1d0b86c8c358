//! Removing a device holds on every relay instance at once: two real
//! `attune-relay` processes share one storage (a SQLite file, or a PostgreSQL
//! schema), the device is live on both, and a member removes it through one.
//!
//! - the instance that stored the removal closes the device's live socket
//!   (close code 1008, reason `not_in_roster`);
//! - on the other instance its next live push is refused in the storage
//!   commit (`not_in_roster`) and the socket closed — or, on PostgreSQL, the
//!   socket was already closed when the removal was announced; nothing of it is
//!   stored either way;
//! - there its HTTP push is refused (403 `not_in_roster`), its token stops
//!   working, and it cannot log in again.
//!
//! Runs on SQLite (`sqlite::…`) and on a fresh PostgreSQL schema (`postgres::…`).

#[macro_use]
mod common;

use std::process::Stdio;
use std::time::Duration;

use attune_proto::*;
use common::process::{
    error_code, get, live, login, next_frame, post, put, spawn_relay, RelayProcess, Socket,
};
use common::{answer, genesis, journal, next_roster, Backend, Device};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

/// The relay binary on `on`'s storage (`data` holds the SQLite file).
fn start(on: &Backend, data: &std::path::Path) -> RelayProcess {
    let args = match on {
        Backend::Sqlite => vec!["--data".to_owned(), data.to_str().unwrap().to_owned()],
        Backend::Postgres(schema) => vec!["--database".to_owned(), schema.url()],
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    spawn_relay(&args, "warn", Stdio::inherit())
}

fn push_frame(envelopes: Vec<Envelope>) -> Message {
    let frame = ClientFrame::Push(PushRequest {
        v: WIRE_VERSION,
        envelopes,
    });
    Message::Binary(ClientMessage::new(frame).encode().into())
}

/// How a live socket ended.
#[derive(Debug, Default)]
struct Ending {
    /// An `Error` frame with this code came before the end.
    refused: Option<String>,
    /// The close frame, if one arrived.
    close: Option<(CloseCode, String)>,
}

/// Reads until the socket ends (live envelopes before it are skipped).
async fn ending(socket: &mut Socket) -> Ending {
    let read = async {
        let mut ending = Ending::default();
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Close(frame)) => {
                    ending.close = frame.map(|f| (f.code, f.reason.to_string()));
                    break;
                }
                Ok(Message::Binary(bytes)) => match ServerMessage::decode(&bytes).unwrap().frame {
                    ServerFrame::Error(body) => ending.refused = Some(body.error),
                    ServerFrame::Envelopes(_) => {}
                    other => panic!("unexpected frame {other:?}"),
                },
                Ok(_) => {}
                // The relay may have closed the connection while we were sending.
                Err(_) => break,
            }
        }
        ending
    };
    tokio::time::timeout(Duration::from_secs(15), read)
        .await
        .expect("the socket was not closed within 15 s")
}

fn removed() -> Option<(CloseCode, String)> {
    Some((CloseCode::Policy, "not_in_roster".to_owned()))
}

/// Challenge and session for `d`; the session reply's status and body.
async fn try_login(
    client: &reqwest::Client,
    base: &str,
    j: JournalId,
    d: &Device,
) -> (u16, Vec<u8>) {
    let request = ChallengeRequest {
        v: WIRE_VERSION,
        device_id: d.id,
    };
    let url = format!("{base}/v1/journals/{j}");
    let (status, body) = post(client, format!("{url}/challenge"), None, request.encode()).await;
    assert_eq!(status, 200);
    let nonce = Challenge::decode(&body).unwrap().nonce;
    let request = answer(j, d, nonce, None).encode();
    post(client, format!("{url}/session"), None, request).await
}

async fn removed_device_loses_sockets_pushes_and_tokens_on_every_instance(on: &Backend) {
    let data = tempfile::tempdir().unwrap();
    let (one, two) = (start(on, data.path()), start(on, data.path()));
    let client = reqwest::Client::new();
    let (a, b) = (Device::new(1), Device::new(2));
    let j = journal(71);
    let v1 = genesis(j, &[&a, &b], &a);
    let token_a = login(&client, &one.base, j, &a, Some(v1.clone())).await;
    // b is live on both instances, and pushes its first envelope through two.
    let token_b1 = login(&client, &one.base, j, &b, None).await;
    let token_b2 = login(&client, &two.base, j, &b, None).await;
    let other_b2 = login(&client, &two.base, j, &b, None).await;
    let mut on_one = live(&one.base, j, &token_b1).await;
    let mut on_two = live(&two.base, j, &token_b2).await;
    let mut idle_on_two = live(&two.base, j, &other_b2).await;
    let chain = b.chain(j, 1, None, 2);
    on_two.send(push_frame(chain[..1].to_vec())).await.unwrap();
    loop {
        match next_frame(&mut on_two).await {
            ServerFrame::Acked(acked) => break assert_eq!(acked.acks[0].relay_seq, RelaySeq(1)),
            ServerFrame::Envelopes(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }

    // a removes b through instance one (new epoch, b recorded as revoked).
    let update = RosterUpdate {
        v: WIRE_VERSION,
        roster: next_roster(&v1, &[&a], &a),
        keys: Vec::new(),
    };
    let url = format!("{}/v1/journals/{j}/roster", one.base);
    let (status, body) = put(&client, url, &token_a, update.encode()).await;
    assert_eq!(status, 204, "{}", String::from_utf8_lossy(&body));
    // Instance one closes b's socket at once.
    assert_eq!(ending(&mut on_one).await.close, removed());

    // On instance two, b's next live push is refused and its socket closed.
    let _ = on_two.send(push_frame(chain[1..].to_vec())).await;
    let end = ending(&mut on_two).await;
    match on {
        // No announcements between SQLite instances: the commit refuses the push.
        Backend::Sqlite => {
            assert_eq!(end.refused.as_deref(), Some("not_in_roster"));
            assert_eq!(end.close, removed());
        }
        // The announcement may have closed it first; a refusal is not_in_roster.
        Backend::Postgres(_) => {
            assert!(
                matches!(end.refused.as_deref(), None | Some("not_in_roster")),
                "{end:?}"
            );
            assert!(end.close.is_none() || end.close == removed(), "{end:?}");
            // A socket that sends nothing is closed by the announcement.
            assert_eq!(ending(&mut idle_on_two).await.close, removed());
        }
    }

    // b's HTTP push through two is refused; its tokens there stop working.
    let request = PushRequest {
        v: WIRE_VERSION,
        envelopes: chain[1..].to_vec(),
    };
    let url = format!("{}/v1/journals/{j}/envelopes", two.base);
    let (status, body) = post(&client, url, Some(&token_b2), request.encode()).await;
    assert_eq!((status, error_code(&body).as_str()), (403, "not_in_roster"));
    let roster_url = format!("{}/v1/journals/{j}/roster", two.base);
    let (status, body) = get(&client, roster_url.clone(), &other_b2).await;
    assert_eq!((status, error_code(&body).as_str()), (403, "not_in_roster"));
    for token in [&token_b2, &other_b2] {
        let (status, body) = get(&client, roster_url.clone(), token).await;
        assert_eq!((status, error_code(&body).as_str()), (401, "invalid_token"));
    }
    let (status, body) = try_login(&client, &two.base, j, &b).await;
    assert_eq!((status, error_code(&body).as_str()), (403, "not_in_roster"));

    // Only b's first envelope was stored; a, still a member, reads it through two.
    let token_a2 = login(&client, &two.base, j, &a, None).await;
    let url = format!("{}/v1/journals/{j}/envelopes?after=0", two.base);
    let (status, body) = get(&client, url, &token_a2).await;
    assert_eq!(status, 200);
    let page = PullResponse::decode(&body).unwrap();
    assert_eq!(page.head, RelaySeq(1));
    assert_eq!(page.envelopes.len(), 1);
    assert_eq!(page.envelopes[0].envelope, chain[0]);
}

on_each_backend!(removed_device_loses_sockets_pushes_and_tokens_on_every_instance);
