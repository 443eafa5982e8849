//! Enrollment: a follower of the stored completions (`EventStore::events_since`, woken by
//! `EventStore::commits`) that matches each against the enabled workflows' triggers and
//! records the enrollments with its cursor in one transaction (`EventStore::enroll`). It runs
//! after the commit, on its own task, so ingestion never waits for it; and from a durable
//! cursor, so a collector stopped between a commit and the enrollment resumes where it was.
//!
//! A completion of a contact enrolls that contact (once per workflow, unless re-enrollment is
//! on). A completion of an anonymous visitor that matches is remembered; when the visitor is
//! later known as a contact (any completion carrying both), the contact is enrolled with it.
//! Filters see the completion's custom properties and, under them, its page properties. The
//! rows of an import that opted out of workflows enroll nobody.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::{Clock, Workflow};
use crate::model::PrimaryObject;
use crate::store::{EnrollmentBatch, EventStore, Resume, SeqEvent};

/// Completions decided per transaction.
const BATCH: usize = 1_000;

/// The properties filters see: the page's, overlaid with the completion's own.
fn properties(event: &SeqEvent) -> Map<String, Value> {
    let read = |json: Option<&str>| -> Map<String, Value> {
        json.and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    };
    let mut props = read(event.event.defaults.as_deref());
    props.extend(read(Some(&event.event.props)));
    props
}

/// What `events` (in storage order) do to `workflows`; a completion whose id starts with one
/// of `opted_out` (an import that opted out) enrolls nobody.
pub fn decide(
    workflows: &[Arc<Workflow>],
    events: &[SeqEvent],
    opted_out: &[String],
    now: i64,
) -> EnrollmentBatch {
    let mut batch = EnrollmentBatch {
        now,
        reenroll: workflows
            .iter()
            .filter(|w| w.reenroll)
            .map(|w| w.id)
            .collect(),
        ..EnrollmentBatch::default()
    };
    // A visitor's first qualifying completion is the one kept, and a contact enrolls once per
    // workflow (re-enrollment aside): later ones of the same batch would be refused by the
    // store anyway, so they are not sent to the writer, which all ingestion shares.
    let mut remembered = std::collections::HashSet::new();
    let mut enrolled = std::collections::HashSet::new();
    let mut identified = std::collections::HashSet::new();
    for e in events {
        batch.through = batch.through.max(e.seq);
        if e.event.object_type != PrimaryObject::Contact {
            continue;
        }
        if let (Some(contact), Some(vid)) = (e.event.object_id, &e.vid) {
            if identified.insert((vid.clone(), contact)) {
                batch.identified.push((vid.clone(), contact));
            }
        }
        if opted_out.iter().any(|p| e.event.id.starts_with(p.as_str())) {
            continue;
        }
        let props = properties(e);
        if let Some(contact) = e.event.object_id {
            // Waits this completion may end; the store ends those of the contact's
            // enrollments that are waiting there since before it was stored.
            for w in workflows {
                for (step, action) in w.actions.iter().enumerate() {
                    if action.resumed_by(&e.event.name, &props) {
                        batch.resume.push(Resume {
                            workflow: w.id,
                            step: i64::try_from(step).unwrap_or(i64::MAX),
                            contact,
                            seq: e.seq,
                            event: e.event.name.clone(),
                            event_id: e.event.id.clone(),
                        });
                    }
                }
            }
        }
        for w in workflows
            .iter()
            .filter(|w| w.triggered_by(&e.event.name, &props))
        {
            match (e.event.object_id, &e.vid) {
                (Some(contact), _) => {
                    if w.reenroll || enrolled.insert((w.id, contact)) {
                        batch
                            .enroll
                            .push((w.id, contact, e.seq, e.event.name.clone()));
                    }
                }
                (None, Some(vid)) => {
                    if remembered.insert((w.id, vid.clone())) {
                        batch
                            .remember
                            .push((w.id, vid.clone(), e.seq, e.event.name.clone()));
                    }
                }
                (None, None) => {}
            }
        }
    }
    batch
}

/// Follows the stored completions until the store closes, waking the runner through `wake`
/// when contacts enroll or waits end.
pub async fn run(
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    wake: Arc<tokio::sync::Notify>,
) {
    let mut commits = store.commits();
    let mut leading = store.leading();
    loop {
        // One collector of those sharing a database follows the completions.
        if leading.wait_for(|lead| *lead).await.is_err() {
            return;
        }
        let started = std::time::Instant::now();
        let step = async {
            let cursor = store.enrollment_cursor().await?;
            // Switched-off workflows too: they enroll nobody (`triggered_by`), but a
            // completion still ends their waits, whose next steps run once they are on again.
            let workflows: Vec<Arc<Workflow>> = store.workflows();
            if workflows.is_empty() {
                // Nothing to match: the cursor moves past what is stored without reading it
                // (a workflow enrolls from when it exists).
                let newest = *commits.borrow();
                if newest > cursor {
                    store
                        .enroll(EnrollmentBatch {
                            through: newest,
                            now: clock.now_ms(),
                            ..EnrollmentBatch::default()
                        })
                        .await?;
                }
                return Ok::<bool, crate::store::StoreError>(false);
            }
            let events = store.events_since(cursor, BATCH).await?;
            if events.is_empty() {
                return Ok(false);
            }
            let opted_out = store.enrollment_opt_outs().await?;
            let moved = store
                .enroll(decide(&workflows, &events, &opted_out, clock.now_ms()))
                .await?;
            if moved > 0 {
                wake.notify_one();
            }
            Ok(true)
        };
        match step.await {
            Ok(true) => {
                // Ingestion first: while completions keep coming, rest between batches.
                if commits.has_changed().unwrap_or(false) {
                    commits.borrow_and_update();
                    tokio::time::sleep(started.elapsed() * super::YIELD_FACTOR).await;
                }
            }
            Ok(false) => {
                if commits.changed().await.is_err() {
                    return;
                }
            }
            Err(crate::store::StoreError::Closed) => return,
            Err(e) => {
                tracing::error!(error = ?e, "enrolling contacts in workflows failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventDefinition, PropertyDef, PropertyType};
    use crate::store::{Ingest, NewEvent, SqliteStore, Subject};
    use crate::workflows::ManualClock;

    fn signup(id: &str, email: Option<&str>, vid: &str, plan: &str) -> NewEvent {
        NewEvent {
            id: id.into(),
            name: "signup".into(),
            occurred_at: 1_700_000_000_000,
            received_at: 1_700_000_000_000,
            object_type: PrimaryObject::Contact,
            subject: match email {
                Some(e) => Subject::Contact {
                    email: Some(e.into()),
                    external_id: None,
                },
                None => Subject::Anonymous,
            },
            vid: Some(vid.into()),
            sid: None,
            site: Some(Arc::from("shop")),
            props: format!(r#"{{"plan":"{plan}"}}"#),
            defaults: Some(Arc::from(r#"{"path":"/pricing"}"#)),
        }
    }

    async fn send(store: &SqliteStore, events: Vec<NewEvent>) {
        store
            .ingest(Ingest {
                events,
                ..Ingest::default()
            })
            .await
            .unwrap();
    }

    /// The workflow's enrollments as (contact email, event seq order), once `n` exist.
    async fn enrolled(store: &SqliteStore, workflow: u64, n: usize) -> Vec<i64> {
        for _ in 0..400 {
            let all = store.enrollments(workflow, 100).await.unwrap();
            if all.len() >= n {
                return all.iter().rev().map(|e| e.contact).collect();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{n} enrollments did not come");
    }

    #[tokio::test]
    async fn contacts_enroll_once_after_the_commit_and_visitors_once_identified() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = Arc::new(SqliteStore::open(&path).unwrap());
        store
            .create_definition(EventDefinition {
                id: 0,
                name: "signup".into(),
                label: "Signed up".into(),
                description: None,
                primary_object: PrimaryObject::Contact,
                include_default_properties: true,
                properties: vec![PropertyDef::plain(
                    "plan",
                    PropertyType::Enumeration,
                    &["free", "pro"],
                    0,
                )],
                index: Default::default(),
                created_at: 0,
                updated_at: 0,
            })
            .await
            .unwrap();
        let clock = Arc::new(ManualClock::at(5_000));
        let follower = tokio::spawn(run(store.clone(), clock.clone(), Arc::default()));
        // An event decided before the workflow exists does not enroll (as in HubSpot).
        send(
            &store,
            vec![signup("e0", Some("early@example.com"), "v0", "pro")],
        )
        .await;
        for _ in 0..400 {
            if store.enrollment_cursor().await.unwrap() >= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(store.enrollment_cursor().await.unwrap(), 1);
        let workflow: Workflow = serde_json::from_value(serde_json::json!({
            "name": "Pro sign-ups", "enabled": true,
            "triggers": [{"event": "signup", "filters": [
                {"property": "plan", "operator": "EQ", "value": "pro"},
                {"property": "path", "operator": "EQ", "value": "/pricing"}]}],
            "actions": [{"type": "delay", "ms": 1000}],
            "secret": "s".repeat(64)
        }))
        .unwrap();
        let workflow = store.save_workflow(workflow).await.unwrap();

        send(
            &store,
            vec![signup("e1", Some("ada@example.com"), "v1", "pro")],
        )
        .await;
        send(
            &store,
            vec![signup("e2", Some("ada@example.com"), "v1", "pro")],
        )
        .await;
        send(
            &store,
            vec![signup("e3", Some("grace@example.com"), "v2", "free")],
        )
        .await;
        // Alan matches while anonymous, then says who he is with a completion that does not.
        send(&store, vec![signup("e4", None, "v3", "pro")]).await;
        let first = enrolled(&store, workflow.id, 1).await;
        send(
            &store,
            vec![signup("e5", Some("alan@example.com"), "v3", "free")],
        )
        .await;
        let both = enrolled(&store, workflow.id, 2).await;
        assert_eq!(both.len(), 2, "Ada once, Alan once identified: {both:?}");
        assert_eq!(first.len(), 1);
        let all = store.enrollments(workflow.id, 10).await.unwrap();
        assert!(all
            .iter()
            .all(|e| e.state == "active" && e.created_at == 5_000));
        assert_eq!(all[0].event_name, "signup");
        follower.abort();
        store.close().await;

        // A restart resumes from the cursor: nothing is enrolled twice.
        let store = Arc::new(SqliteStore::open(&path).unwrap());
        let follower = tokio::spawn(run(store.clone(), clock, Arc::default()));
        send(
            &store,
            vec![signup("e6", Some("ada@example.com"), "v1", "pro")],
        )
        .await;
        send(
            &store,
            vec![signup("e7", Some("new@example.com"), "v7", "pro")],
        )
        .await;
        let after = enrolled(&store, workflow.id, 3).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            store.enrollments(workflow.id, 10).await.unwrap().len(),
            3,
            "{after:?}"
        );
        follower.abort();
        store.close().await;
    }

    #[test]
    fn a_disabled_or_unmatched_workflow_decides_nothing_and_the_cursor_still_moves() {
        let w: Workflow = serde_json::from_value(serde_json::json!({
            "id": 4, "name": "w", "enabled": false,
            "triggers": [{"event": "signup"}], "actions": [{"type": "delay", "ms": 1}]
        }))
        .unwrap();
        let event = SeqEvent {
            seq: 9,
            event: crate::store::StoredEvent {
                id: "x".into(),
                name: "signup".into(),
                occurred_at: 0,
                object_type: PrimaryObject::Contact,
                object_id: Some(3),
                props: "{}".into(),
                defaults: None,
            },
            vid: None,
        };
        let batch = decide(&[Arc::new(w.clone())], std::slice::from_ref(&event), &[], 1);
        assert_eq!((batch.through, batch.enroll.len()), (9, 0));
        let on = Workflow { enabled: true, ..w };
        let on = Arc::new(on);
        let batch = decide(
            std::slice::from_ref(&on),
            std::slice::from_ref(&event),
            &[],
            1,
        );
        assert_eq!(batch.enroll, vec![(4, 3, 9, "signup".to_owned())]);
        let imported = SeqEvent {
            event: crate::store::StoredEvent {
                id: "imp-abc-7".into(),
                ..event.event.clone()
            },
            ..event.clone()
        };
        let batch = decide(&[on], &[imported], &["imp-abc-".to_owned()], 1);
        assert_eq!(
            (batch.through, batch.enroll.len()),
            (9, 0),
            "an import that opted out"
        );
    }
}
