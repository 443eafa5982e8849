//! Workflows running (issue 17, points 1, 3, 4 and 5): the enrollment follower and the runner
//! over a real SQLite file, a [`ManualClock`] standing in for days, and a real HTTP receiver
//! on 127.0.0.1 (`receiver.rs`). Each test reads what the receiver got and what the history
//! says.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::task::JoinHandle;
use wasmtrack_collector::model::{EventDefinition, PrimaryObject, PropertyDef, PropertyType};
use wasmtrack_collector::store::{Enrollment, EventStore, Ingest, NewEvent, Retention, Subject};
use wasmtrack_collector::workflows::runner::Runner;
use wasmtrack_collector::workflows::{enroller, verify, ManualClock, UrlPolicy, Workflow};

use crate::common::{new_place, open_place, Place};
use crate::receiver::{Receiver, Reply};

const START: i64 = 1_800_000_000_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The follower and the runner over one store.
struct Engine {
    store: Arc<dyn EventStore>,
    tasks: Vec<JoinHandle<()>>,
}

impl Engine {
    fn start(path: &Place, clock: &ManualClock, allow_private: bool) -> Engine {
        Engine::start_with(path, clock, allow_private, None)
    }

    fn start_with(
        path: &Place,
        clock: &ManualClock,
        allow_private: bool,
        attempt_timeout: Option<Duration>,
    ) -> Engine {
        let store = open_place(path, Retention::default());
        let wake = Arc::new(tokio::sync::Notify::new());
        let clock: Arc<dyn wasmtrack_collector::workflows::Clock> = Arc::new(clock.clone());
        let mut runner = Runner::new(
            store.clone(),
            clock.clone(),
            UrlPolicy { allow_private },
            wake.clone(),
        );
        if let Some(timeout) = attempt_timeout {
            runner = runner.with_attempt_timeout(timeout);
        }
        // The clock jumps in these tests: look at it often.
        runner.poll = Duration::from_millis(10);
        let tasks = vec![
            tokio::spawn(enroller::run(store.clone(), clock, wake)),
            tokio::spawn(runner.run()),
        ];
        Engine { store, tasks }
    }

    /// Stops both tasks where they are and closes the store, as a stopped collector does.
    async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
        self.store.close().await;
    }
}

async fn define(store: &Arc<dyn EventStore>) {
    for (name, props) in [
        (
            "signup",
            vec![PropertyDef::plain(
                "plan",
                PropertyType::Enumeration,
                &["free", "pro"],
                0,
            )],
        ),
        (
            "first_login",
            vec![PropertyDef::plain("method", PropertyType::String, &[], 0)],
        ),
    ] {
        store
            .create_definition(EventDefinition {
                id: 0,
                name: name.into(),
                label: name.into(),
                description: None,
                primary_object: PrimaryObject::Contact,
                include_default_properties: false,
                properties: props,
                index: Default::default(),
                created_at: 0,
                updated_at: 0,
            })
            .await
            .unwrap();
    }
}

async fn workflow(store: &Arc<dyn EventStore>, actions: Value) -> Arc<Workflow> {
    let w: Workflow = serde_json::from_value(json!({
        "name": "Welcome", "enabled": true,
        "triggers": [{"event": "signup", "filters": [{"property": "plan", "operator": "EQ", "value": "pro"}]}],
        "actions": actions,
        "secret": SECRET,
    }))
    .unwrap();
    store.save_workflow(w).await.unwrap()
}

async fn complete(
    store: &Arc<dyn EventStore>,
    clock: &ManualClock,
    id: &str,
    name: &str,
    email: &str,
    props: Value,
) {
    let at = wasmtrack_collector::workflows::Clock::now_ms(clock);
    store
        .ingest(Ingest {
            events: vec![NewEvent {
                id: id.into(),
                name: name.into(),
                occurred_at: at,
                received_at: at,
                object_type: PrimaryObject::Contact,
                subject: Subject::Contact {
                    email: Some(email.into()),
                    external_id: None,
                },
                vid: None,
                sid: None,
                site: None,
                props: props.to_string(),
                defaults: None,
            }],
            ..Ingest::default()
        })
        .await
        .unwrap();
}

/// A pro sign-up (which every test's workflow is triggered by).
async fn signup(store: &Arc<dyn EventStore>, clock: &ManualClock, id: &str, email: &str) {
    complete(store, clock, id, "signup", email, json!({"plan": "pro"})).await;
}

/// The workflow's enrollments, oldest first, once `ready` holds (waiting up to 10 s).
async fn enrollments_when(
    store: &Arc<dyn EventStore>,
    workflow: u64,
    ready: impl Fn(&[Enrollment]) -> bool,
) -> Vec<Enrollment> {
    for _ in 0..1_000 {
        let mut all = store.enrollments(workflow, 100).await.unwrap();
        all.reverse();
        if ready(&all) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "enrollments never reached the state awaited: {:?}",
        store.enrollments(workflow, 100).await.unwrap()
    );
}

async fn kinds(store: &Arc<dyn EventStore>, enrollment: i64) -> Vec<String> {
    store
        .enrollment_history(enrollment)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.kind)
        .collect()
}

/// Nothing more arrives for a moment.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_go_through_a_webhook_a_wait_for_an_event_a_delay_and_a_second_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START);
    let engine = Engine::start(&new_place(dir.path(), "db"), &clock, true);
    let store = engine.store.clone();
    define(&store).await;
    let receiver = Receiver::start().await;
    let w = workflow(
        &store,
        json!([
            {"type": "webhook", "url": receiver.url("/welcome")},
            {"type": "delayUntil", "event": "first_login", "filters": [{"property": "method", "operator": "EQ", "value": "password"}], "maxWaitMs": 7 * DAY},
            {"type": "delay", "ms": DAY},
            {"type": "webhook", "url": receiver.url("/nudge")}
        ]),
    )
    .await;

    // Carol logged in before she signed up: that login is not what her wait waits for.
    complete(
        &store,
        &clock,
        "c-login",
        "first_login",
        "carol@example.com",
        json!({"method": "password"}),
    )
    .await;
    for (id, email) in [
        ("a-1", "ada@example.com"),
        ("b-1", "bob@example.com"),
        ("c-1", "carol@example.com"),
    ] {
        signup(&store, &clock, id, email).await;
    }
    complete(
        &store,
        &clock,
        "d-1",
        "signup",
        "dan@example.com",
        json!({"plan": "free"}),
    )
    .await;

    let got = receiver.wait_for(3).await;
    for request in &got {
        // Signed over the body with the workflow's secret, at the clock's time.
        verify(
            SECRET,
            &request.raw,
            request.header("wasmtrack-signature"),
            START / 1000,
            300,
        )
        .unwrap();
        assert_eq!(request.header("idempotency-key"), request.body["id"]);
        assert_eq!(request.header("content-type"), "application/json");
        assert_eq!(request.body["attempt"], 1);
        assert_eq!(
            request.body["workflow"],
            json!({"id": w.id, "name": "Welcome"})
        );
        assert_eq!(request.body["event"]["name"], "signup");
        assert_eq!(request.body["event"]["properties"], json!({"plan": "pro"}));
        assert!(request.body.get("lastWait").is_none());
    }
    let mut emails: Vec<&str> = got
        .iter()
        .map(|r| r.body["contact"]["email"].as_str().unwrap())
        .collect();
    emails.sort_unstable();
    assert_eq!(
        emails,
        ["ada@example.com", "bob@example.com", "carol@example.com"]
    );

    let all = enrollments_when(&store, w.id, |all| {
        all.len() == 3 && all.iter().all(|e| e.state == "waiting")
    })
    .await;
    let (ada, bob, carol) = (all[0].id, all[1].id, all[2].id);
    assert_eq!(all[0].wake_at, Some(START + 7 * DAY));

    // Ada logs in with a password an hour later: her wait ends, her one-day delay begins.
    clock.advance(HOUR);
    complete(
        &store,
        &clock,
        "a-2",
        "first_login",
        "ada@example.com",
        json!({"method": "sso"}),
    )
    .await;
    complete(
        &store,
        &clock,
        "a-3",
        "first_login",
        "ada@example.com",
        json!({"method": "password"}),
    )
    .await;
    let all = enrollments_when(&store, w.id, |all| {
        all[0].step == 2 && all[0].step_started_at.is_some()
    })
    .await;
    assert_eq!(all[0].wake_at, Some(START + HOUR + DAY));
    assert_eq!(all[1].state, "waiting", "bob did not log in");
    assert_eq!(
        all[2].state, "waiting",
        "carol's login came before her wait"
    );
    settle().await;
    assert_eq!(
        receiver.got().len(),
        3,
        "nothing is due before the delay ends"
    );

    clock.advance(DAY);
    let got = receiver.wait_for(4).await;
    let nudge = &got[3];
    assert_eq!(nudge.body["contact"]["email"], "ada@example.com");
    assert_eq!(nudge.body["lastWait"]["outcome"], "eventHappened");
    assert_eq!(nudge.body["lastWait"]["event"], "first_login");
    assert_eq!(nudge.body["lastWait"]["eventId"], "a-3");
    assert_eq!(
        nudge.header("idempotency-key"),
        format!("wt-enr{ada}-step3")
    );

    // Bob and Carol never log in: after seven days the wait gives up, then the delay runs.
    clock.set(START + 7 * DAY);
    enrollments_when(&store, w.id, |all| all[1].step == 2 && all[2].step == 2).await;
    clock.advance(DAY);
    let got = receiver.wait_for(6).await;
    for request in &got[4..] {
        assert_eq!(request.body["lastWait"]["outcome"], "maxWaitPassed");
        assert!(request.body["lastWait"].get("eventId").is_none());
    }
    let all = enrollments_when(&store, w.id, |all| {
        all.iter().all(|e| e.state == "completed")
    })
    .await;
    assert_eq!(all.len(), 3, "the free plan enrolled no one");
    assert_eq!(
        kinds(&store, ada).await,
        [
            "enrolled",
            "delivered",
            "waiting",
            "resumed",
            "delayed",
            "delivered",
            "completed"
        ]
    );
    assert_eq!(
        kinds(&store, bob).await,
        [
            "enrolled",
            "delivered",
            "waiting",
            "timedOut",
            "delayed",
            "delivered",
            "completed"
        ]
    );
    assert_eq!(kinds(&store, carol).await, kinds(&store, bob).await);
    let history = store.enrollment_history(ada).await.unwrap();
    assert!(history
        .iter()
        .filter(|h| h.kind == "delivered")
        .all(|h| h.status == Some(204) && h.latency_ms.is_some()));
    settle().await;
    assert_eq!(receiver.got().len(), 6, "each step ran once");
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_is_retried_with_the_same_key_no_sooner_than_it_asked() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START);
    let engine = Engine::start(&new_place(dir.path(), "db"), &clock, true);
    let store = engine.store.clone();
    define(&store).await;
    let receiver = Receiver::start().await;
    receiver.answer([
        Reply::Status(503, vec![("retry-after", "120".into())]),
        Reply::Status(500, vec![]),
    ]);
    let w = workflow(
        &store,
        json!([{"type": "webhook", "url": receiver.url("/hook")}]),
    )
    .await;
    signup(&store, &clock, "a-1", "ada@example.com").await;
    receiver.wait_for(1).await;
    let all = enrollments_when(&store, w.id, |all| {
        all.first().is_some_and(|e| e.attempts == 1)
    })
    .await;
    // It asked for two minutes, more than the first wait of the schedule (30 s).
    assert_eq!(all[0].wake_at, Some(START + 120_000));
    clock.advance(119_000);
    settle().await;
    assert_eq!(
        receiver.got().len(),
        1,
        "not before the receiver's Retry-After"
    );
    clock.advance(1_000);
    receiver.wait_for(2).await;
    // The 500 asked nothing: the schedule's second wait (60 s, less up to 15 % jitter).
    let all = enrollments_when(&store, w.id, |all| all[0].attempts == 2).await;
    let wait = all[0].wake_at.unwrap() - (START + 120_000);
    assert!((51_000..=60_000).contains(&wait), "{wait}");
    clock.advance(60_000);
    let got = receiver.wait_for(3).await;
    let keys: Vec<&str> = got.iter().map(|g| g.header("idempotency-key")).collect();
    assert_eq!(keys, [keys[0]; 3], "one delivery, one key");
    let attempts: Vec<&Value> = got.iter().map(|g| &g.body["attempt"]).collect();
    assert_eq!(attempts, [&json!(1), &json!(2), &json!(3)]);
    for g in &got {
        // Each attempt is signed anew, at its own time.
        let t: i64 = g.header("wasmtrack-signature")[2..12].parse().unwrap();
        verify(SECRET, &g.raw, g.header("wasmtrack-signature"), t, 0).unwrap();
    }
    let all = enrollments_when(&store, w.id, |all| all[0].state == "completed").await;
    let history = store.enrollment_history(all[0].id).await.unwrap();
    let attempts: Vec<(&str, Option<u16>)> = history
        .iter()
        .filter(|h| h.latency_ms.is_some())
        .map(|h| (h.kind.as_str(), h.status))
        .collect();
    assert_eq!(
        attempts,
        [
            ("retrying", Some(503)),
            ("retrying", Some(500)),
            ("delivered", Some(204))
        ]
    );
    assert!(history[1]
        .detail
        .as_deref()
        .unwrap()
        .starts_with("attempt 1 of 31; next in 2 min"));
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_answering_410_pauses_the_workflow_until_someone_switches_it_on() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START);
    let engine = Engine::start(&new_place(dir.path(), "db"), &clock, true);
    let store = engine.store.clone();
    define(&store).await;
    let receiver = Receiver::start().await;
    receiver.answer([Reply::Status(410, vec![])]);
    let w = workflow(
        &store,
        json!([{"type": "webhook", "url": receiver.url("/gone")}]),
    )
    .await;
    signup(&store, &clock, "a-1", "ada@example.com").await;
    receiver.wait_for(1).await;
    let mut paused = None;
    for _ in 0..500 {
        let now = store.workflow(w.id).unwrap();
        if !now.enabled {
            paused = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let paused = paused.expect("the workflow was not paused");
    let reason = paused.paused_reason.clone().unwrap();
    assert!(reason.contains("410 Gone"), "{reason}");
    assert!(reason.starts_with("Step 1 (webhook)"), "{reason}");
    // Off: Bob enrolls in nothing, and Ada's step waits.
    signup(&store, &clock, "b-1", "bob@example.com").await;
    clock.advance(DAY);
    settle().await;
    let all = store.enrollments(w.id, 10).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].state.as_str(), all[0].step, all[0].attempts),
        ("active", 0, 0)
    );
    assert_eq!(kinds(&store, all[0].id).await, ["enrolled", "paused"]);
    assert_eq!(receiver.got().len(), 1);

    // Switched on again: the refused step is sent again, with the same key.
    let mut on = (*paused).clone();
    on.enabled = true;
    on.paused_reason = None;
    store.save_workflow(on).await.unwrap();
    let got = receiver.wait_for(2).await;
    assert_eq!(
        got[1].header("idempotency-key"),
        got[0].header("idempotency-key")
    );
    enrollments_when(&store, w.id, |all| all[0].state == "completed").await;
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_collector_resumes_delays_waits_and_retries_running_no_step_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_place(dir.path(), "db");
    let clock = ManualClock::at(START);
    let engine = Engine::start(&path, &clock, true);
    let store = engine.store.clone();
    define(&store).await;
    let receiver = Receiver::start().await;
    receiver.answer([Reply::Status(500, vec![])]);
    let retried = workflow(
        &store,
        json!([{"type": "webhook", "url": receiver.url("/retried")}]),
    )
    .await;
    let delayed = workflow(
        &store,
        json!([
            {"type": "delay", "ms": 2 * DAY},
            {"type": "delayUntil", "event": "first_login", "maxWaitMs": 30 * DAY},
            {"type": "webhook", "url": receiver.url("/delayed")}
        ]),
    )
    .await;
    for (id, email) in [("a-1", "ada@example.com"), ("b-1", "bob@example.com")] {
        signup(&store, &clock, id, email).await;
    }
    receiver.wait_for(2).await;
    enrollments_when(&store, retried.id, |all| {
        all.len() == 2
            && all
                .iter()
                .all(|e| e.attempts == 1 || e.state == "completed")
    })
    .await;
    enrollments_when(&store, delayed.id, |all| {
        all.len() == 2 && all.iter().all(|e| e.step_started_at.is_some())
    })
    .await;
    engine.stop().await;
    drop(store);

    // Stopped. Two days pass; then Carol's sign-up is stored before the engine starts.
    clock.advance(2 * DAY);
    let engine = Engine::start(&path, &clock, true);
    let store = engine.store.clone();
    signup(&store, &clock, "c-1", "carol@example.com").await;
    // Ada and Bob's delays have ended: both wait for a login now; the retry has gone out.
    let all = enrollments_when(&store, delayed.id, |all| {
        all.len() == 3 && all[..2].iter().all(|e| e.state == "waiting")
    })
    .await;
    assert_eq!(all[2].step, 0, "carol's delay began at her sign-up");
    enrollments_when(&store, retried.id, |all| {
        all.len() == 3 && all.iter().all(|e| e.state == "completed")
    })
    .await;
    engine.stop().await;
    drop(store);

    // Stopped again while they wait; Ada logs in while it is down (her login is stored by
    // the next start, before the follower reads it).
    let engine = Engine::start(&path, &clock, true);
    let store = engine.store.clone();
    complete(
        &store,
        &clock,
        "a-2",
        "first_login",
        "ada@example.com",
        json!({}),
    )
    .await;
    let got = receiver.wait_for(5).await;
    assert_eq!(got[4].body["contact"]["email"], "ada@example.com");
    assert_eq!(got[4].body["lastWait"]["outcome"], "eventHappened");
    // Bob's wait ends at its maximum; Carol's, which began when her delay ended, a month
    // after that.
    clock.advance(30 * DAY);
    receiver.wait_for(6).await;
    clock.advance(30 * DAY);
    receiver.wait_for(7).await;
    enrollments_when(&store, delayed.id, |all| {
        all.iter().all(|e| e.state == "completed")
    })
    .await;
    settle().await;

    let got = receiver.got();
    let mut keys: Vec<&str> = got.iter().map(|g| g.header("idempotency-key")).collect();
    keys.sort_unstable();
    let retried_keys = keys
        .iter()
        .filter(|k| {
            got.iter()
                .any(|g| g.header("idempotency-key") == **k && g.body["attempt"] == 2)
        })
        .count();
    assert_eq!(
        retried_keys, 2,
        "the one retried delivery, sent twice under one key"
    );
    keys.dedup();
    assert_eq!(
        keys.len(),
        6,
        "3 contacts × 2 workflows, each step once: {keys:?}"
    );
    assert_eq!(got.len(), 7);
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_are_refused_at_delivery_and_redirects_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START);
    // Not allowed: the URL names `localhost` only at delivery time (stored without the
    // API's check, as a workflow saved while the collector allowed private addresses is).
    let engine = Engine::start(&new_place(dir.path(), "strict"), &clock, false);
    let store = engine.store.clone();
    define(&store).await;
    let receiver = Receiver::start().await;
    let w = workflow(
        &store,
        json!([{"type": "webhook", "url": format!("http://localhost:{}/x", receiver.addr.port())}]),
    )
    .await;
    signup(&store, &clock, "a-1", "ada@example.com").await;
    let all = enrollments_when(&store, w.id, |all| {
        all.first().is_some_and(|e| e.state == "failed")
    })
    .await;
    let history = store.enrollment_history(all[0].id).await.unwrap();
    let detail = history.last().unwrap().detail.clone().unwrap();
    assert!(detail.contains("loopback"), "{detail}");
    assert!(
        receiver.got().is_empty(),
        "nothing reached the private address"
    );
    engine.stop().await;

    // Allowed, but a redirect is not followed wherever it points.
    let engine = Engine::start(&new_place(dir.path(), "open"), &clock, true);
    let store = engine.store.clone();
    define(&store).await;
    let target = Receiver::start().await;
    receiver.answer([Reply::Status(
        307,
        vec![("location", target.url("/metadata"))],
    )]);
    let w = workflow(
        &store,
        json!([{"type": "webhook", "url": receiver.url("/moved")}]),
    )
    .await;
    signup(&store, &clock, "a-1", "ada@example.com").await;
    let all = enrollments_when(&store, w.id, |all| {
        all.first().is_some_and(|e| e.state == "failed")
    })
    .await;
    let history = store.enrollment_history(all[0].id).await.unwrap();
    assert_eq!(history.last().unwrap().status, Some(307));
    assert!(target.got().is_empty(), "the redirect was not followed");
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_read_up_to_a_cap_and_a_slow_receiver_holds_four_connections_at_most() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START);
    let engine = Engine::start_with(
        &new_place(dir.path(), "db"),
        &clock,
        true,
        Some(Duration::from_secs(5)),
    );
    let store = engine.store.clone();
    define(&store).await;
    let receiver = Receiver::start().await;
    receiver.answer([Reply::Big(20 * 1024 * 1024)]);
    let big = workflow(
        &store,
        json!([{"type": "webhook", "url": receiver.url("/big")}]),
    )
    .await;
    signup(&store, &clock, "a-1", "ada@example.com").await;
    let all = enrollments_when(&store, big.id, |all| {
        all.first().is_some_and(|e| e.state == "completed")
    })
    .await;
    let history = store.enrollment_history(all[0].id).await.unwrap();
    let delivered = history.iter().find(|h| h.kind == "delivered").unwrap();
    assert_eq!(
        delivered.detail.as_deref().map(str::len),
        Some(500),
        "20 MiB answered, 500 bytes kept"
    );
    let mut on = (*big).clone();
    on.enabled = false;
    store.save_workflow(on).await.unwrap();

    // Ten contacts for a receiver that takes 1.5 s to answer each.
    let slow = Receiver::start().await;
    slow.answer((0..10).map(|_| Reply::Slow(Duration::from_millis(1_500), 204)));
    let w = workflow(
        &store,
        json!([{"type": "webhook", "url": slow.url("/slow")}]),
    )
    .await;
    for n in 0..10 {
        signup(
            &store,
            &clock,
            &format!("s-{n}"),
            &format!("c{n}@example.com"),
        )
        .await;
    }
    slow.wait_for(10).await;
    enrollments_when(&store, w.id, |all| {
        all.len() == 10 && all.iter().all(|e| e.state == "completed")
    })
    .await;
    assert_eq!(slow.most_at_once(), 4, "four at a time, no more");
    assert!(
        slow.connections() <= 4,
        "{} connections",
        slow.connections()
    );
    engine.stop().await;

    // A receiver slower than the attempt's time limit: the attempt is given up and retried.
    let engine = Engine::start_with(
        &new_place(dir.path(), "timeout"),
        &clock,
        true,
        Some(Duration::from_millis(300)),
    );
    let store = engine.store.clone();
    define(&store).await;
    let stuck = Receiver::start().await;
    stuck.answer([Reply::Slow(Duration::from_secs(2), 204)]);
    let w = workflow(
        &store,
        json!([{"type": "webhook", "url": stuck.url("/stuck")}]),
    )
    .await;
    signup(&store, &clock, "a-1", "ada@example.com").await;
    let all = enrollments_when(&store, w.id, |all| {
        all.first().is_some_and(|e| e.attempts == 1)
    })
    .await;
    let history = store.enrollment_history(all[0].id).await.unwrap();
    let retry = history.last().unwrap();
    assert_eq!((retry.kind.as_str(), retry.status), ("retrying", None));
    assert!(
        retry
            .detail
            .as_deref()
            .unwrap()
            .contains("no answer within 300 ms"),
        "{retry:?}"
    );
    engine.stop().await;
}
