//! Contacts as HubSpot's CRM API reads them (one by id or email, pages by id, a search by
//! email), and the contact updates an import sends with its events: create or find the contact
//! by email, then set its properties over those it has (`json_patch`), in the transaction
//! that stores the events.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::writer::contact_for;
use super::SqliteStore;
use crate::store::{ContactKey, ContactRecord, ContactRecordQuery, ContactUpdate, StoreError};

impl SqliteStore {
    pub(super) async fn contact_record(
        &self,
        key: ContactKey,
    ) -> Result<Option<ContactRecord>, StoreError> {
        self.read(move |conn| {
            let (sql, value) = match key {
                ContactKey::Id(id) => (format!("{COLUMNS} WHERE id = ?1"), id.into()),
                ContactKey::Email(email) => (format!("{COLUMNS} WHERE email = ?1"), email.into()),
            };
            let value: rusqlite::types::Value = value;
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([value], record)
                .optional()?)
        })
        .await
    }

    pub(super) async fn contact_records(
        &self,
        q: ContactRecordQuery,
    ) -> Result<(Vec<ContactRecord>, u64), StoreError> {
        self.read(move |conn| {
            const MATCH: &str =
                "(?1 IS NULL OR email = ?1) AND (?2 IS NULL OR instr(email, ?2) > 0)";
            let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
            let records = conn
                .prepare_cached(&format!(
                    "{COLUMNS} WHERE {MATCH} AND id > ?3 ORDER BY id LIMIT ?4"
                ))?
                .query_map(
                    params![q.email_is, q.email_contains, q.after, limit],
                    record,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            let total: i64 = conn
                .prepare_cached(&format!("SELECT COUNT(*) FROM contacts WHERE {MATCH}"))?
                .query_row(params![q.email_is, q.email_contains], |r| r.get(0))?;
            Ok((records, u64::try_from(total).unwrap_or(0)))
        })
        .await
    }
}

const COLUMNS: &str =
    "SELECT id, email, external_id, properties, created_at, updated_at FROM contacts";

fn record(r: &Row) -> rusqlite::Result<ContactRecord> {
    let properties: Option<String> = r.get(3)?;
    let created_at: i64 = r.get(4)?;
    Ok(ContactRecord {
        id: r.get(0)?,
        email: r.get(1)?,
        external_id: r.get(2)?,
        properties: properties
            .and_then(|p| serde_json::from_str::<BTreeMap<String, String>>(&p).ok())
            .unwrap_or_default(),
        created_at,
        updated_at: r.get::<_, Option<i64>>(5)?.unwrap_or(created_at),
    })
}

/// Creates or updates the contacts of a request (see the module's doc).
pub(super) fn update(tx: &Connection, updates: &[ContactUpdate]) -> rusqlite::Result<()> {
    for u in updates {
        let id = contact_for(tx, Some(&u.email), None, u.at)?;
        if u.properties.is_empty() {
            continue;
        }
        let patch = serde_json::to_string(&u.properties).unwrap_or_else(|_| "{}".into());
        tx.prepare_cached(
            "UPDATE contacts SET properties = json_patch(COALESCE(properties, '{}'), ?2),
                                 updated_at = ?3
             WHERE id = ?1",
        )?
        .execute(params![id, patch, u.at])?;
    }
    Ok(())
}
