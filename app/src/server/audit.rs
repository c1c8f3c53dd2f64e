use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

pub const AUDIT_ACTIONS: [(&str, &str); 24] = [
    ("", "All changes"),
    ("assign", "Assign"),
    ("unassign", "Unassign"),
    ("invite", "Invite"),
    ("resend", "Resend"),
    ("send_invitation", "Send invitation"),
    ("withdraw", "Withdraw invitation"),
    ("remove", "Remove from team"),
    ("leave", "Leave team"),
    ("accept", "Accept"),
    ("flex_access", "Flex access"),
    ("defaults", "Default assignments"),
    ("guest_defaults", "Guest defaults"),
    ("move_tokens", "Flex tokens"),
    ("add_tokens", "Flex purchases"),
    ("remove_device", "Devices"),
    ("import", "Import"),
    ("app", "Apps"),
    ("ssa", "Service accounts"),
    ("sso", "Single sign-on"),
    ("sso_link", "Single sign-on links"),
    ("role", "Roles"),
    ("group", "Groups"),
    ("rename_team", "Team name"),
];

/// The team's audit log, newest first (admins only).
#[server(endpoint = "audit_log")]
pub async fn audit_log(
    team: String,
    action: Option<String>,
    page: Option<i64>,
) -> Result<AuditPage, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let limit = super::people::PAGE_SIZE;
    let offset = super::people::page_offset(page);
    let action = action.filter(|a| !a.is_empty());
    let (entries, total) = st.db.audit_entries(&m.team_id, action.as_deref(), offset, limit).await?;
    Ok(AuditPage {
        rows: entries
            .into_iter()
            .map(|e| AuditRow {
                at: e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                actor: e.actor,
                action: e.action,
                target: e.target,
                before: e.before,
                after: e.after,
            })
            .collect(),
        total,
        offset,
        limit,
    })
}
