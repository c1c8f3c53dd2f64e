//! The cost preview of a Flex access change (R-ADV1) and the licence advice (R-ADV2).
//! Admins only: both show what each person uses.
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// The access change a dialog is about to save, as the dialog knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum CostChange {
    /// A person's own Flex selection (`all`, or the products `codes` names).
    Own { member: String, all: bool, codes: Vec<String> },
    /// The assign dialog: product `code` to picked members and typed new people.
    Assign { code: String, member_ids: Vec<String>, new_people: String },
    /// The team's default assignments (empty: off).
    Defaults { codes: Vec<String> },
    /// What a group gives (`gives` false: no Flex).
    Group { group: String, gives: bool, all: bool, codes: Vec<String> },
}

/// One person and product the change gives or takes, with its estimate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    pub person: String,
    pub product: String,
    pub gained: bool,
    /// Tokens a day, to one decimal as shown.
    pub per_day: String,
    /// "own use", "team average" or "no use".
    pub basis: String,
}

/// What a Flex access change may do to the balance, shown before it is saved (R-ADV1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostPreviewView {
    /// False when the change costs no tokens by its nature (a subscription or trial seat,
    /// R-PRI1): then only `summary` is said.
    pub applies: bool,
    pub summary: String,
    pub assumption: String,
    pub people: usize,
    pub added_per_day: f64,
    pub removed_per_day: f64,
    pub net_per_day: f64,
    pub runs_out_before: Option<String>,
    pub runs_out_after: Option<String>,
    pub lapse_before: i64,
    pub lapse_after: i64,
    /// The largest lines; `more_lines` are not listed.
    pub lines: Vec<CostLine>,
    pub more_lines: usize,
}

/// The most lines a preview lists: the largest estimates, enough to see who drives it.
pub const PREVIEW_LINES: usize = 5;

#[server(endpoint = "preview_flex_cost", input = Json)]
pub async fn preview_flex_cost(team: String, change: CostChange) -> Result<CostPreviewView, AppError> {
    use super::ssr::*;
    use crate::domain::advice::Basis;
    use crate::service::advice::{self, Change};
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let change = match change {
        CostChange::Own { member, all, codes } => Change::Own { member, all, codes },
        CostChange::Defaults { codes } => Change::Defaults { codes },
        CostChange::Group { group, gives, all, codes } => Change::Group { group, gives, all, codes },
        CostChange::Assign { code, member_ids, new_people } => {
            let mut conn = st.db.pool.acquire().await?;
            let offer = crate::service::assignments::offer(&mut conn, &m.team_id, &code, st.now()).await?;
            if offer.product_id.is_some() {
                return Ok(CostPreviewView::seats());
            }
            // Entries that parse, once each (parse_entries drops repeats), as the save takes them.
            let typed = crate::domain::invitee::parse_entries(&new_people)
                .into_iter()
                .filter_map(|e| e.result.ok().map(|i| i.email.as_str().to_string()))
                .collect();
            Change::Assign { member_ids, typed }
        }
    };
    let p = advice::preview(&st, &m.team_id, &change, PREVIEW_LINES).await?;
    let c = &p.cost;
    let name_of =
        |id: &str| p.catalogue.iter().find(|x| x.id == id).map_or_else(|| id.to_string(), |x| x.name.clone());
    let lines = c
        .lines
        .iter()
        .take(PREVIEW_LINES)
        .map(|l| CostLine {
            person: p.names.get(&l.account).cloned().unwrap_or_else(|| l.account.clone()),
            product: name_of(&l.product),
            gained: l.gained,
            per_day: format!("{:.1}", l.tokens / crate::domain::advice::PREVIEW_DAYS as f64),
            basis: match l.basis {
                Basis::Own => "own use",
                Basis::TeamAverage => "team average",
                Basis::NoUse => "no use",
            }
            .into(),
        })
        .collect();
    Ok(CostPreviewView {
        applies: true,
        summary: c.summary(),
        assumption: c.assumption.clone(),
        people: c.people,
        added_per_day: c.added_per_day,
        removed_per_day: c.removed_per_day,
        net_per_day: c.net_per_day(),
        runs_out_before: c.before.runs_out_on.map(|d| d.to_string()),
        runs_out_after: c.after.runs_out_on.map(|d| d.to_string()),
        lapse_before: c.before.expiring_unused(),
        lapse_after: c.after.expiring_unused(),
        more_lines: c.lines.len().saturating_sub(PREVIEW_LINES),
        lines,
    })
}

impl CostPreviewView {
    /// The preview of a seat assignment: seats cost no tokens.
    pub fn seats() -> Self {
        CostPreviewView {
            applies: false,
            summary: "A subscription or trial seat costs no Flex tokens: the balance and its forecast stay as they are."
                .into(),
            assumption: String::new(),
            people: 0,
            added_per_day: 0.0,
            removed_per_day: 0.0,
            net_per_day: 0.0,
            runs_out_before: None,
            runs_out_after: None,
            lapse_before: 0,
            lapse_after: 0,
            lines: vec![],
            more_lines: 0,
        }
    }
}

/// One piece of licence advice, its figures and assumption in words (R-ADV2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdviceLineView {
    /// "idle_seat", "cheaper_on_seat", "cheaper_on_flex" or "lapsing".
    pub kind: String,
    pub figures: String,
    pub assumption: String,
    pub person_id: Option<String>,
    pub person: Option<String>,
    pub email: Option<String>,
    pub product_code: Option<String>,
    pub product: Option<String>,
    /// Tokens a year (or, for a purchase, in all) acting on it would save.
    pub saving: i64,
    /// An idle seat assigned to the person themself: one step frees it.
    pub can_unassign: bool,
    /// An idle seat held only through a group: the group's page frees it.
    pub through_group: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdviceView {
    pub lines: Vec<AdviceLineView>,
    /// Products with a seat price (without one, no advice compares seats and Flex).
    pub priced: usize,
}

#[server(endpoint = "licence_advice")]
pub async fn licence_advice(team: String) -> Result<AdviceView, AppError> {
    use super::ssr::*;
    let st = state()?;
    let (_, m) = require_admin(&st, &team).await?;
    let lines = crate::service::advice::advice(&st, &m.team_id).await?;
    let priced = crate::store::catalogue::entries(&st.db.pool)
        .await?
        .iter()
        .filter(|e| e.seat_tokens.is_some() && !e.retired)
        .count();
    Ok(AdviceView { lines: lines.into_iter().map(AdviceLineView::from).collect(), priced })
}

#[cfg(feature = "ssr")]
impl From<crate::service::advice::AdviceLine> for AdviceLineView {
    fn from(l: crate::service::advice::AdviceLine) -> Self {
        use crate::domain::advice::Advice;
        let idle = matches!(l.advice, Advice::IdleSeat { .. });
        AdviceLineView {
            kind: l.advice.kind().into(),
            saving: l.advice.saving(),
            figures: l.figures,
            assumption: l.assumption,
            person_id: l.person.as_ref().map(|p| p.0.clone()),
            person: l.person.as_ref().map(|p| p.1.clone()),
            email: l.person.map(|p| p.2),
            product_code: l.product.as_ref().map(|p| p.0.clone()),
            product: l.product.map(|p| p.1),
            can_unassign: idle && !l.through_group,
            through_group: l.through_group,
        }
    }
}
