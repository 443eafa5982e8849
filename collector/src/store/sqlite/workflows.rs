//! Workflow definitions (schema 8): JSON bodies in `workflows`, loaded at open and kept in
//! memory by id, because every stored completion will be matched against the enabled ones; the
//! writer updates that copy after each commit that changes them.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::Connection;

use super::caches::{read_lock, write_lock};
use super::{encode, SqliteStore};
use crate::store::StoreError;
use crate::workflows::Workflow;

/// Every workflow, by id.
pub(super) fn load(conn: &Connection) -> Result<BTreeMap<u64, Arc<Workflow>>, StoreError> {
    let mut stmt = conn.prepare("SELECT id, body FROM workflows")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (id, body) = row?;
        let mut workflow: Workflow = serde_json::from_str(&body).map_err(|e| {
            StoreError::Internal(format!("workflow {id} is stored unreadable: {e}"))
        })?;
        workflow.id = u64::try_from(id).unwrap_or(0);
        out.insert(workflow.id, Arc::new(workflow));
    }
    Ok(out)
}

impl SqliteStore {
    pub(super) fn workflows(&self) -> Vec<Arc<Workflow>> {
        read_lock(&self.workflows).values().cloned().collect()
    }

    pub(super) fn workflow(&self, id: u64) -> Option<Arc<Workflow>> {
        read_lock(&self.workflows).get(&id).cloned()
    }

    /// Stores `workflow`: a new one when its id is 0 (the id assigned), else a replacement,
    /// `NotFound` when there is no workflow with that id.
    pub(super) async fn save_workflow(
        &self,
        mut workflow: Workflow,
    ) -> Result<Arc<Workflow>, StoreError> {
        let cache = self.workflows.clone();
        self.admin(move |conn| {
            let tx = conn.transaction()?;
            if workflow.id == 0 {
                tx.execute("INSERT INTO workflows (body) VALUES ('{}')", [])?;
                workflow.id = u64::try_from(tx.last_insert_rowid()).unwrap_or(0);
            }
            let id = i64::try_from(workflow.id).unwrap_or(i64::MAX);
            let changed = tx.execute(
                "UPDATE workflows SET body = ?1 WHERE id = ?2",
                (encode(&workflow)?, id),
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!(
                    "no workflow {} exists",
                    workflow.id
                )));
            }
            tx.commit()?;
            let saved = Arc::new(workflow);
            write_lock(&cache).insert(saved.id, saved.clone());
            Ok(saved)
        })
        .await
    }

    pub(super) async fn delete_workflow(&self, id: u64) -> Result<(), StoreError> {
        let cache = self.workflows.clone();
        self.admin(move |conn| {
            let gone = conn.execute(
                "DELETE FROM workflows WHERE id = ?1",
                [i64::try_from(id).unwrap_or(i64::MAX)],
            )?;
            if gone == 0 {
                return Err(StoreError::NotFound(format!("no workflow {id} exists")));
            }
            write_lock(&cache).remove(&id);
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EventStore, StoreError};

    fn workflow(name: &str) -> Workflow {
        serde_json::from_value(serde_json::json!({
            "name": name,
            "triggers": [{"event": "signup"}],
            "actions": [{"type": "delay", "ms": 1000}],
            "secret": "s".repeat(64)
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn workflows_are_kept_across_a_restart_with_ids_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = SqliteStore::open(&path).unwrap();
        let a = store.save_workflow(workflow("a")).await.unwrap();
        let b = store.save_workflow(workflow("b")).await.unwrap();
        assert!(b.id > a.id);
        let mut renamed = (*a).clone();
        renamed.name = "a, renamed".into();
        store.save_workflow(renamed).await.unwrap();
        store.delete_workflow(b.id).await.unwrap();
        assert!(matches!(
            store.delete_workflow(b.id).await,
            Err(StoreError::NotFound(_))
        ));
        let mut ghost = workflow("ghost");
        ghost.id = 999;
        assert!(matches!(
            store.save_workflow(ghost).await,
            Err(StoreError::NotFound(_))
        ));
        store.close().await;
        let store = SqliteStore::open(&path).unwrap();
        let names: Vec<(u64, String)> = store
            .workflows()
            .iter()
            .map(|w| (w.id, w.name.clone()))
            .collect();
        assert_eq!(names, [(a.id, "a, renamed".to_owned())]);
        let c = store.save_workflow(workflow("c")).await.unwrap();
        assert!(c.id > b.id, "a deleted workflow's id is not reused");
        store.close().await;
    }
}
