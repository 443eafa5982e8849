//! Contacts on PostgreSQL: the analyst app's list and page, and the CRM API's records, with
//! SQLite's answers (`store/sqlite/contacts.rs`, `store/sqlite/crm.rs`).

use super::{not_yet, PgStore};
use crate::store::{
    ContactDetail, ContactKey, ContactPage, ContactQuery, ContactRecord, ContactRecordQuery,
    StoreError,
};

impl PgStore {
    pub(super) async fn contacts(&self, _query: ContactQuery) -> Result<ContactPage, StoreError> {
        Err(not_yet("contacts"))
    }

    pub(super) async fn contact(&self, _id: i64) -> Result<Option<ContactDetail>, StoreError> {
        Err(not_yet("contact"))
    }

    pub(super) async fn contact_record(
        &self,
        _key: ContactKey,
    ) -> Result<Option<ContactRecord>, StoreError> {
        Err(not_yet("contact_record"))
    }

    pub(super) async fn contact_records(
        &self,
        _query: ContactRecordQuery,
    ) -> Result<(Vec<ContactRecord>, u64), StoreError> {
        Err(not_yet("contact_records"))
    }
}
