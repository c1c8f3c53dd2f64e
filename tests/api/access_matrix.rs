//! Cross-team access matrix: every team-scoped server function and HTTP endpoint, aimed at
//! Northwind Studio (or one of its people, purchases, apps or devices), called as
//!
//! - an admin of another team only (Harbor Engineering),
//! - a plain Northwind member,
//! - a Northwind guest (docs/RULES.md: a team member may be a guest user of the team; the demo
//!   data has active guests with passwords),
//! - someone invited to Northwind who has not accepted yet (an account with a password from
//!   elsewhere, so they can sign in),
//! - a signed-in account that belongs to no team,
//! - nobody (no session),
//! - a Northwind SSO admin (R-UM5: single sign-on and directory sync only), on every row
//!   they are refused and every read,
//!
//! must be refused with the specific code and change nothing in the database. The Northwind
//! admin calls each one last with the same arguments (the positive control), so a refusal
//! caused by bad arguments cannot pass for an access check. Rows only the primary admin may
//! call refuse Amara (an ordinary admin) too, with their control the primary admin; rows
//! for the team's sign-in have the SSO admin as their control.
//!
//! Adding a server function: add a row to `ops()` (or, for one that is public or acts only on
//! the caller's own account, to `SELF_SERVICE`); `every_server_function_is_in_the_matrix`
//! fails until you do.
use crate::common;

use app::domain::{Email, TeamId, UserId};
use app::service::state::Clock;
use app::store::teams::{MemberStatus, Role};
use common::*;
use serde_json::{json, Value};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

const AMARA: &str = "amara.okafor0@northwind.example"; // admin of Northwind only
const BRUNO: &str = "bruno.schmidt1@northwind.example"; // plain member of Northwind
const GUEST: &str = "dmitri.lindqvist3@northwind.example"; // active guest of Northwind
const FARID: &str = "farid.haddad5@northwind.example"; // member whose things are targeted
const ELIF: &str = "elif.costa4@northwind.example"; // invited to Northwind, no password
const OTHER_ADMIN: &str = "olga.harbor@harbor.example"; // admin of Harbor only (made here)
const INVITEE: &str = "ivan.invitee@elsewhere.example"; // invited to Northwind (made here)
const OUTSIDER: &str = "otto.outsider@elsewhere.example"; // in no team (made here)
const SSO_ADMIN: &str = "sasha.sso@northwind.example"; // SSO admin of Northwind (made here)

/// Server functions that are public or act only on the caller's own account: nothing of a
/// team to protect, so they are not in the matrix.
const SELF_SERVICE: [(&str, &str); 13] = [
    ("sign_in", "public: checks the caller's own credentials"),
    ("sign_out", "ends the caller's own session"),
    ("whoami", "the caller's own name and teams"),
    ("invitation_info", "authorised by the secret invitation token itself"),
    ("accept_invitation", "authorised by the secret invitation token (and the account's password)"),
    ("leave_team", "ends the caller's own membership (tests/api/members.rs refuses the rest)"),
    ("my_account", "the caller's own profile, sessions and teams (tests/api/own_account.rs)"),
    ("save_profile", "the caller's own profile (tests/api/own_account.rs)"),
    ("change_password", "the caller's own password, checked first (tests/api/own_account.rs)"),
    ("sign_out_elsewhere", "the caller's own other sessions (tests/api/own_account.rs)"),
    ("request_password_reset", "public: the same answer for every address (tests/api/own_account.rs)"),
    ("reset_info", "authorised by the secret reset token itself"),
    ("reset_password", "authorised by the secret reset token itself (tests/api/own_account.rs)"),
];

/// HTTP routes outside the matrix, and why.
const OPEN_ROUTES: [(&str, &str); 33] = [
    ("/pkg/{*file}", "the console's site files (wasm, JS, CSS), the same for everyone"),
    ("/openapi.json", "the public description of the REST APIs (tests/api/openapi.rs)"),
    ("/healthz", "liveness, no data"),
    ("/readyz", "readiness, no data"),
    ("/metrics", "counters by route pattern and status: no ids, no personal data (tests/api/operations.rs)"),
    ("/provisioning/v1/products", "operator apps only (tests/api/provisioning.rs refuses everyone else)"),
    ("/provisioning/v1/products/{code}/retire", "operator apps only (tests/api/provisioning.rs)"),
    ("/provisioning/v1/products/{code}", "operator apps only (tests/api/provisioning.rs)"),
    ("/provisioning/v1/teams", "operator apps only (tests/api/provisioning.rs)"),
    ("/provisioning/v1/teams/{team}/subscriptions", "operator apps only (tests/api/provisioning.rs)"),
    ("/provisioning/v1/subscriptions/{id}", "operator apps only (tests/api/provisioning.rs)"),
    ("/provisioning/v1/teams/{team}/purchases", "operator apps only (tests/api/provisioning.rs)"),
    ("/authentication/v2/keys", "public key set (JWKS)"),
    ("/.well-known/openid-configuration", "public discovery document"),
    ("/avatars/{sub}/{file}", "the same placeholder image for everyone"),
    ("/authentication/v2/token", "OAuth client authentication and grants (tests/api/identity.rs)"),
    ("/authentication/v2/revoke", "OAuth client authentication (tests/api/identity.rs)"),
    ("/authentication/v2/authorize", "consent for the signed-in person's own account"),
    ("/sso", "public start of single sign-on"),
    ("/sso/callback", "the provider's answer (tests/api/sso.rs)"),
    ("/sso/link", "the owner's password proof for this session's pending link (tests/api/attacks/sso.rs)"),
    (
        "/sso/link/email",
        "mails the owner a link for the pending link in this session (tests/api/attacks/sso.rs)",
    ),
    (
        "/sso/link/confirm",
        "the mailed link, completes only in the session that asked (tests/api/attacks/sso.rs)",
    ),
    ("/api/{*fn_name}", "the server functions: the matrix below"),
    ("/scim/v2/ServiceProviderConfig", "a directory token of the team only (tests/api/scim.rs)"),
    ("/scim/v2/ResourceTypes", "a directory token of the team only (tests/api/scim.rs)"),
    ("/scim/v2/Schemas", "a directory token of the team only (tests/api/scim.rs)"),
    (
        "/scim/v2/Users",
        "a directory token of the team only; each token reaches its own team (tests/api/scim.rs)",
    ),
    (
        "/scim/v2/Users/{id}",
        "a directory token of the team only; each token reaches its own team (tests/api/scim.rs)",
    ),
    (
        "/scim/v2/Groups",
        "a directory token of the team only; each token reaches its own team (tests/api/scim.rs)",
    ),
    (
        "/scim/v2/Groups/{id}",
        "a directory token of the team only; each token reaches its own team (tests/api/scim.rs)",
    ),
    ("/scim/v2/{*rest}", "answers 404 to everyone"),
    ("/testing/clock", "mounted only with `serve --test-clock`"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    /// Amara: an ordinary admin of Northwind.
    NorthAdmin,
    /// admin@northwind.example: admin of Northwind and Harbor.
    BothAdmin,
    OtherAdmin,
    Member,
    Guest,
    Invitee,
    Outsider,
    Anonymous,
    /// An SSO admin of Northwind.
    SsoAdmin,
}

const REFUSED: [Who; 6] =
    [Who::OtherAdmin, Who::Member, Who::Guest, Who::Invitee, Who::Outsider, Who::Anonymous];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// Team admins only.
    Admin,
    /// Any active member of the team (guests included).
    Member,
    /// The team's sign-in (single sign-on, directory sync): admins and SSO admins.
    SignIn,
    /// The primary admin only (giving and taking roles).
    Primary,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Input {
    Form,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Allowed,
    Refused(&'static str),
    /// Answers 200 but must change nothing (e.g. unassigning people who are not in the team).
    NoEffect,
}

fn expected(access: Access, who: Who) -> Want {
    match (who, access) {
        (Who::Anonymous, _) => Want::Refused("unauthenticated"),
        (Who::OtherAdmin | Who::Invitee | Who::Outsider, _) => Want::Refused("not_a_member"),
        (Who::Member | Who::Guest | Who::SsoAdmin, Access::Member) => Want::Allowed,
        (Who::SsoAdmin, Access::SignIn) => Want::Allowed,
        (Who::Member | Who::Guest | Who::SsoAdmin, _) => Want::Refused("admin_only"),
        (Who::NorthAdmin, Access::Primary) => Want::Refused("primary_admin_only"),
        (Who::NorthAdmin | Who::BothAdmin, _) => Want::Allowed,
    }
}

/// What the rows aim at: Northwind and things in it, made or looked up once per app.
struct Fx {
    north: String,
    harbor: String,
    farid: String,
    bruno: String,
    elif: String,
    app_client: String,
    ssa_for_keys: String,
    ssa_for_toggle: String,
    ssa_for_delete: String,
    kid: String,
    purchase: String,
    /// An active member the remove row takes away.
    rita: String,
    /// An invited person whose invitation the withdraw row withdraws.
    wanda: String,
    /// A Northwind group with Farid in it, and one the delete row deletes.
    group: String,
    group_for_delete: String,
    /// A directory token of Northwind, for the revoke row.
    scim_token: String,
    /// A member who is made an admin and then the primary admin.
    heir: String,
    /// An admin of Northwind the primary admin removes.
    spare_admin: String,
}

type Args = fn(&Fx, Option<&str>) -> Value;

struct Op {
    /// Unique in the table; the endpoint is `name` up to the first space.
    label: &'static str,
    access: Access,
    input: Input,
    writes: bool,
    /// Who proves the arguments valid.
    control: Who,
    /// The second argument is the caller's account id (None when anonymous).
    args: Args,
    /// Callers refused beyond those `access` implies (e.g. a Northwind-only admin moving
    /// tokens to Harbor).
    also_refused: &'static [(Who, &'static str)],
    /// Expectations that differ from what `access` implies.
    instead: &'static [(Who, Want)],
}

impl Op {
    fn endpoint(&self) -> &'static str {
        self.label.split(' ').next().unwrap_or(self.label)
    }

    fn want(&self, who: Who) -> Want {
        self.instead.iter().find(|(w, _)| *w == who).map_or(expected(self.access, who), |(_, want)| *want)
    }
}

fn op(label: &'static str, access: Access, args: Args) -> Op {
    Op {
        label,
        access,
        input: Input::Form,
        writes: false,
        control: Who::NorthAdmin,
        args,
        also_refused: &[],
        instead: &[],
    }
}

fn write(label: &'static str, input: Input, args: Args) -> Op {
    Op { input, writes: true, ..op(label, Access::Admin, args) }
}

/// A change of the team's sign-in: the SSO admin proves the arguments.
fn sign_in_write(label: &'static str, input: Input, args: Args) -> Op {
    Op { access: Access::SignIn, control: Who::SsoAdmin, ..write(label, input, args) }
}

/// A change only the primary admin makes: Amara, an ordinary admin, is refused too.
fn primary_write(label: &'static str, input: Input, args: Args) -> Op {
    Op {
        access: Access::Primary,
        control: Who::BothAdmin,
        also_refused: &[(Who::NorthAdmin, "primary_admin_only")],
        ..write(label, input, args)
    }
}

/// Every team-scoped server function, aimed at Northwind. Reads first, then writes; each
/// write acts on its own fixture so one row's positive control cannot spoil another's.
fn ops() -> Vec<Op> {
    use Access::*;
    use Input::*;
    vec![
        op("team_home", Member, |f, _| json!({"team": f.north})),
        op("flex_tokens", Member, |f, _| json!({"team": f.north})),
        op(
            "member_devices (own)",
            Member,
            |f, me| json!({"team": f.north, "member": me.unwrap_or(&f.farid)}),
        ),
        op("member_devices (another member's)", Admin, |f, _| json!({"team": f.north, "member": f.farid})),
        op("list_members", Admin, |f, _| json!({"team": f.north})),
        op("member_detail", Admin, |f, _| json!({"team": f.north, "member": f.farid})),
        op("team_offers", Admin, |f, _| json!({"team": f.north})),
        op("offer_members", Admin, |f, _| json!({"team": f.north, "code": "DRAFT2D"})),
        op("find_members", Admin, |f, _| json!({"team": f.north, "q": "Farid"})),
        op("usage_summary", Admin, |f, _| json!({"team": f.north})),
        op("usage_by_product", Admin, |f, _| json!({"team": f.north})),
        op("usage_by_user", Admin, |f, _| json!({"team": f.north})),
        op("seat_usage", Admin, |f, _| json!({"team": f.north})),
        op("audit_log", Admin, |f, _| json!({"team": f.north})),
        op("flex_access", Admin, |f, _| json!({"team": f.north, "member": f.farid})),
        op("flex_defaults", Admin, |f, _| json!({"team": f.north})),
        Op {
            input: Input::Json,
            ..op("preview_flex_defaults", Admin, |f, _| json!({"team": f.north, "codes": []}))
        },
        // R-ADV1/R-ADV2: both show what each person uses, so admins only; each change kind.
        op("licence_advice", Admin, |f, _| json!({"team": f.north})),
        Op {
            input: Input::Json,
            ..op(
                "preview_flex_cost",
                Admin,
                |f, _| json!({"team": f.north, "change": {"kind": "own", "member": f.farid, "all": true, "codes": []}}),
            )
        },
        Op {
            input: Input::Json,
            ..op(
                "preview_flex_cost (assign)",
                Admin,
                |f, _| json!({"team": f.north, "change": {"kind": "assign", "code": "FLEX", "member_ids": [f.bruno], "new_people": ""}}),
            )
        },
        Op {
            input: Input::Json,
            ..op(
                "preview_flex_cost (defaults)",
                Admin,
                |f, _| json!({"team": f.north, "change": {"kind": "defaults", "codes": ["SURVEY"]}}),
            )
        },
        Op {
            input: Input::Json,
            ..op(
                "preview_flex_cost (group)",
                Admin,
                |f, _| json!({"team": f.north, "change": {"kind": "group", "group": f.group, "gives": true, "all": true, "codes": []}}),
            )
        },
        op("team_apps", Admin, |f, _| json!({"team": f.north})),
        op("pending_invitations", Admin, |f, _| json!({"team": f.north})),
        op("matching_member_ids", Admin, |f, _| json!({"team": f.north, "q": "a"})),
        op("guest_effect", Admin, |f, _| json!({"team": f.north, "member": f.farid, "guest": true})),
        op("team_groups", Admin, |f, _| json!({"team": f.north})),
        op("group_choices", Admin, |f, _| json!({"team": f.north})),
        op("group_detail", Admin, |f, _| json!({"team": f.north, "group": f.group})),
        Op {
            input: Input::Json,
            ..op("removal_preview", Admin, |f, _| json!({"team": f.north, "member_ids": [f.rita]}))
        },
        write("remove_members", Json, |f, _| json!({"team": f.north, "member_ids": [f.rita]})),
        write("withdraw_invitation", Form, |f, _| json!({"team": f.north, "member": f.wanda})),
        write("send_invitations", Json, |f, _| json!({"team": f.north, "member_ids": [f.elif]})),
        write(
            "invite_people",
            Form,
            |f, _| json!({"team": f.north, "people": "Ina Matrix <ina.matrix@example.com>", "role": "member"}),
        ),
        write(
            "set_member_role",
            Form,
            |f, _| json!({"team": f.north, "member": f.farid, "role": "member", "guest": "on"}),
        ),
        write("rename_team", Form, |f, _| json!({"team": f.north, "name": "Northwind Studio (renamed)"})),
        write("create_group", Form, |f, _| json!({"team": f.north, "name": "Matrix group"})),
        write(
            "rename_group",
            Form,
            |f, _| json!({"team": f.north, "group": f.group, "name": "Matrix renamed"}),
        ),
        write("delete_group", Form, |f, _| json!({"team": f.north, "group": f.group_for_delete})),
        write(
            "add_to_group",
            Json,
            |f, _| json!({"team": f.north, "group": f.group, "member_ids": [f.bruno], "new_people": ""}),
        ),
        write(
            "remove_from_group",
            Json,
            |f, _| json!({"team": f.north, "group": f.group, "member_ids": [f.farid]}),
        ),
        write(
            "set_group_products",
            Json,
            |f, _| json!({"team": f.north, "group": f.group, "codes": ["DRAFT2D"]}),
        ),
        write(
            "set_group_flex",
            Json,
            |f, _| json!({"team": f.north, "group": f.group, "gives": true, "all": false, "codes": ["MOTION"]}),
        ),
        write("assign_users", Json, |f, _| {
            json!({"team": f.north, "code": "MODEL3D", "member_ids": [f.bruno],
                   "new_people": "Nina Matrix <nina.matrix@example.com>"})
        }),
        write(
            "unassign_users",
            Json,
            |f, _| json!({"team": f.north, "code": "DRAFT2D", "member_ids": [f.farid]}),
        ),
        write("resend_invitation", Form, |f, _| json!({"team": f.north, "member": f.elif})),
        write(
            "remove_member_device",
            Form,
            |f, _| json!({"team": f.north, "member": f.farid, "product": "DRAFT2D", "device": "matrix-desk"}),
        ),
        write(
            "save_flex_access",
            Json,
            |f, _| json!({"team": f.north, "member": f.farid, "all": false, "codes": ["MOTION"]}),
        ),
        write("save_flex_defaults", Json, |f, _| json!({"team": f.north, "codes": ["SURVEY"]})),
        write("import_csv", Json, |f, _| {
            json!({"team": f.north, "file_name": "matrix.csv",
                   "content": "name,email,products,guest\nIvo Matrix,ivo.matrix@example.com,DRAFT2D,false\n",
                   "dry_run": false, "valid_rows_only": false})
        }),
        write(
            "create_app",
            Form,
            |f, _| json!({"team": f.north, "name": "Matrix app", "redirect_uris": "http://127.0.0.1/callback"}),
        ),
        write(
            "create_ssa",
            Form,
            |f, _| json!({"team": f.north, "client": f.app_client, "name": "Matrix SSA"}),
        ),
        write("create_ssa_key", Form, |f, _| json!({"team": f.north, "ssa": f.ssa_for_keys})),
        write("delete_ssa_key", Form, |f, _| json!({"team": f.north, "ssa": f.ssa_for_delete, "kid": f.kid})),
        write(
            "set_ssa_enabled",
            Form,
            |f, _| json!({"team": f.north, "ssa": f.ssa_for_toggle, "enabled": false}),
        ),
        sign_in_write("save_sso", Form, |f, _| {
            json!({"team": f.north, "issuer": "https://login.northwind.example",
                   "client_id": "northwind-console", "client_secret": "matrix-secret", "enabled": "true"})
        }),
        op("team_directory", SignIn, |f, _| json!({"team": f.north})),
        sign_in_write("create_directory_token", Form, |f, _| json!({"team": f.north, "label": "Matrix"})),
        sign_in_write("revoke_directory_token", Form, |f, _| json!({"team": f.north, "token": f.scim_token})),
        sign_in_write("save_directory_settings", Form, |f, _| json!({"team": f.north, "invites": "true"})),
        primary_write(
            "invite_people (as admin)",
            Form,
            |f, _| json!({"team": f.north, "people": "Ada Matrix <ada.matrix@example.com>", "role": "admin"}),
        ),
        primary_write(
            "set_member_role (to admin)",
            Form,
            |f, _| json!({"team": f.north, "member": f.heir, "role": "admin"}),
        ),
        primary_write(
            "remove_members (an admin)",
            Json,
            |f, _| json!({"team": f.north, "member_ids": [f.spare_admin]}),
        ),
        Op {
            control: Who::BothAdmin,
            // An admin of Northwind only cannot push its tokens into a team they do not run.
            also_refused: &[(Who::NorthAdmin, "not_a_member")],
            ..write(
                "move_flex_purchase",
                Form,
                |f, _| json!({"team": f.north, "purchase": f.purchase, "to_team": f.harbor}),
            )
        },
        // Last: afterwards the primary admin is someone else.
        primary_write("hand_on_primary", Form, |f, _| json!({"team": f.north, "member": f.heir})),
    ]
}

/// The other team's admin (and the admin of both) naming their own team with Northwind's
/// ids: existence stays hidden and nothing changes.
struct Cross {
    label: &'static str,
    who: Who,
    input: Input,
    args: fn(&Fx) -> Value,
    want: Want,
}

fn cross_cases() -> Vec<Cross> {
    use Input::*;
    use Want::*;
    let c = |label, input, args, want| Cross { label, who: Who::OtherAdmin, input, args, want };
    vec![
        c("member_detail", Form, |f: &Fx| json!({"team": f.harbor, "member": f.farid}), Refused("not_found")),
        c(
            "member_devices",
            Form,
            |f: &Fx| json!({"team": f.harbor, "member": f.farid}),
            Refused("not_found"),
        ),
        c(
            "remove_member_device",
            Form,
            |f: &Fx| json!({"team": f.harbor, "member": f.farid, "product": "DRAFT2D", "device": "matrix-desk"}),
            Refused("not_found"),
        ),
        c("flex_access", Form, |f: &Fx| json!({"team": f.harbor, "member": f.farid}), Refused("not_found")),
        c("group_detail", Form, |f: &Fx| json!({"team": f.harbor, "group": f.group}), Refused("not_found")),
        c(
            "add_to_group",
            Json,
            |f: &Fx| json!({"team": f.harbor, "group": f.group, "member_ids": [f.farid], "new_people": ""}),
            Refused("not_found"),
        ),
        c("delete_group", Form, |f: &Fx| json!({"team": f.harbor, "group": f.group}), Refused("not_found")),
        c(
            "save_flex_access",
            Json,
            |f: &Fx| json!({"team": f.harbor, "member": f.farid, "all": true, "codes": []}),
            Refused("not_found"),
        ),
        c(
            "resend_invitation",
            Form,
            |f: &Fx| json!({"team": f.harbor, "member": f.elif}),
            Refused("not_found"),
        ),
        // Harbor's own product, Northwind's person: refused as not a member of Harbor.
        c(
            "assign_users",
            Json,
            |f: &Fx| json!({"team": f.harbor, "code": "SURVEY", "member_ids": [f.farid], "new_people": ""}),
            Refused("invalid"),
        ),
        c(
            "unassign_users",
            Json,
            |f: &Fx| json!({"team": f.harbor, "code": "SURVEY", "member_ids": [f.farid]}),
            NoEffect,
        ),
        c(
            "create_ssa",
            Form,
            |f: &Fx| json!({"team": f.harbor, "client": f.app_client, "name": "Stolen"}),
            Refused("not_found"),
        ),
        c(
            "create_ssa_key",
            Form,
            |f: &Fx| json!({"team": f.harbor, "ssa": f.ssa_for_keys}),
            Refused("not_found"),
        ),
        c(
            "delete_ssa_key",
            Form,
            |f: &Fx| json!({"team": f.harbor, "ssa": f.ssa_for_delete, "kid": f.kid}),
            Refused("not_found"),
        ),
        c(
            "set_ssa_enabled",
            Form,
            |f: &Fx| json!({"team": f.harbor, "ssa": f.ssa_for_toggle, "enabled": false}),
            Refused("not_found"),
        ),
        c(
            "move_flex_purchase",
            Form,
            |f: &Fx| json!({"team": f.harbor, "purchase": f.purchase, "to_team": f.north}),
            Refused("not_a_member"),
        ),
        c(
            "remove_members",
            Json,
            |f: &Fx| json!({"team": f.harbor, "member_ids": [f.farid]}),
            Refused("invalid"),
        ),
        c("removal_preview", Json, |f: &Fx| json!({"team": f.harbor, "member_ids": [f.farid]}), NoEffect),
        c(
            "withdraw_invitation",
            Form,
            |f: &Fx| json!({"team": f.harbor, "member": f.elif}),
            Refused("not_found"),
        ),
        c("send_invitations", Json, |f: &Fx| json!({"team": f.harbor, "member_ids": [f.elif]}), NoEffect),
        c(
            "set_member_role",
            Form,
            |f: &Fx| json!({"team": f.harbor, "member": f.farid, "role": "admin"}),
            Refused("not_found"),
        ),
        c(
            "guest_effect",
            Form,
            |f: &Fx| json!({"team": f.harbor, "member": f.farid, "guest": true}),
            Refused("not_found"),
        ),
        Cross {
            label: "move_flex_purchase",
            who: Who::BothAdmin,
            input: Form,
            args: |f: &Fx| json!({"team": f.harbor, "purchase": f.purchase, "to_team": f.north}),
            want: Refused("not_found"),
        },
        Cross {
            label: "member_detail",
            who: Who::BothAdmin,
            input: Form,
            args: |f: &Fx| json!({"team": f.harbor, "member": f.farid}),
            want: Refused("not_found"),
        },
    ]
}

struct Caller {
    who: Who,
    client: reqwest::Client,
    id: Option<String>,
}

struct Callers(Vec<Caller>);

impl Callers {
    fn get(&self, who: Who) -> &Caller {
        self.0.iter().find(|c| c.who == who).expect("every caller is signed in")
    }
}

async fn account_id(app: &TestApp, email: &str) -> UserId {
    app.db.account_by_email(&Email::parse(email).unwrap()).await.unwrap().unwrap().id
}

async fn setup(app: &TestApp) -> (Fx, Callers) {
    let north = app.team_id("Northwind Studio").await;
    let harbor = app.team_id("Harbor Engineering").await;
    let now = app.clock.now();

    new_account(app, OTHER_ADMIN, "Olga Harbor", Some((&harbor, Role::Admin, MemberStatus::Active))).await;
    new_account(app, INVITEE, "Ivan Invitee", Some((&north, Role::Member, MemberStatus::Invited))).await;
    new_account(app, OUTSIDER, "Otto Outsider", None).await;
    new_account(app, SSO_ADMIN, "Sasha Sso", Some((&north, Role::SsoAdmin, MemberStatus::Active))).await;

    // The callers are who they are meant to be.
    for (email, team, role, guest, active) in [
        (AMARA, &north, Role::Admin, false, true),
        (BRUNO, &north, Role::Member, false, true),
        (GUEST, &north, Role::Member, true, true),
        (INVITEE, &north, Role::Member, false, false),
        (OTHER_ADMIN, &harbor, Role::Admin, false, true),
        (SSO_ADMIN, &north, Role::SsoAdmin, false, true),
        (ADMIN, &north, Role::PrimaryAdmin, false, true),
    ] {
        let id = app.db.account_by_email(&Email::parse(email).unwrap()).await.unwrap().unwrap().id;
        let m = app.db.membership(team, &id).await.unwrap().unwrap_or_else(|| panic!("{email} in team"));
        assert_eq!((m.role, m.guest, m.active), (role, guest, active), "{email}");
    }
    for email in [OTHER_ADMIN, OUTSIDER] {
        let id = app.db.account_by_email(&Email::parse(email).unwrap()).await.unwrap().unwrap().id;
        assert!(app.db.membership(&north, &id).await.unwrap().is_none(), "{email} is not in Northwind");
    }
    let amara = app.db.account_by_email(&Email::parse(AMARA).unwrap()).await.unwrap().unwrap().id;
    assert!(app.db.membership(&harbor, &amara).await.unwrap().is_none(), "Amara runs Northwind only");

    let farid = account_id(app, FARID).await;
    let draft = app.db.product_by_code("DRAFT2D").await.unwrap().unwrap();
    app.db.register_device(&farid, &draft.id, "matrix-desk", "Farid's desk", now).await.unwrap();
    let mut tx = app.db.pool.begin().await.unwrap();
    app::store::assignments::add_flex_user(&mut tx, &north, &farid, now).await.unwrap();
    tx.commit().await.unwrap();

    let scopes = app::domain::oauth::Scopes::parse("user:read").unwrap();
    let (client, _) =
        app::service::identity::create_client(&app.db, &north, "Northwind export", scopes, vec![], now)
            .await
            .unwrap();
    let ssa = |name: &'static str| {
        let (db, client) = (app.db.clone(), client.clone());
        async move { app::service::identity::create_ssa(&db, &client, name, now).await.unwrap() }
    };
    let ssa_for_keys = ssa("Keys").await;
    let ssa_for_toggle = ssa("Toggle").await;
    let ssa_for_delete = ssa("Delete").await;
    let (kid, _) = app::service::identity::create_ssa_key(&app.db, &ssa_for_delete, now).await.unwrap();

    // The newer purchase (1,000 tokens, 60 days old): valid for months yet.
    let lots = app::store::ledger::team_lots(&app.db.pool, &north).await.unwrap();
    let purchase = lots.iter().max_by_key(|l| l.expires_at).expect("Northwind has purchases");
    assert!(purchase.usable_at(now));
    let rita = new_account(
        app,
        "rita.remove@example.com",
        "Rita Remove",
        Some((&north, Role::Member, MemberStatus::Active)),
    )
    .await;
    let wanda = new_account(
        app,
        "wanda.withdraw@example.com",
        "Wanda Withdraw",
        Some((&north, Role::Member, MemberStatus::Invited)),
    )
    .await;

    let group = {
        let mut tx = app.db.pool.begin().await.unwrap();
        let name = app::domain::GroupName::parse("Matrix fixture").unwrap();
        let id = app::store::groups::create(&mut tx, &north, &name, now).await.unwrap();
        app::store::groups::add_member(&mut tx, &north, &id, &farid, now).await.unwrap();
        tx.commit().await.unwrap();
        id
    };
    let group_for_delete = {
        let mut tx = app.db.pool.begin().await.unwrap();
        let name = app::domain::GroupName::parse("Matrix deletion").unwrap();
        let id = app::store::groups::create(&mut tx, &north, &name, now).await.unwrap();
        tx.commit().await.unwrap();
        id
    };

    let (scim_token, _) =
        app::service::directory::create_token(&app.db, &north, "Matrix fixture", None, now).await.unwrap();
    let heir = new_account(
        app,
        "hal.heir@example.com",
        "Hal Heir",
        Some((&north, Role::Member, MemberStatus::Active)),
    )
    .await;
    let spare_admin = new_account(
        app,
        "sol.spare@example.com",
        "Sol Spare",
        Some((&north, Role::Admin, MemberStatus::Active)),
    )
    .await;

    let fx = Fx {
        north: north.to_string(),
        harbor: harbor.to_string(),
        farid: farid.to_string(),
        bruno: account_id(app, BRUNO).await.to_string(),
        elif: account_id(app, ELIF).await.to_string(),
        app_client: client.id.clone(),
        ssa_for_keys: ssa_for_keys.id,
        ssa_for_toggle: ssa_for_toggle.id,
        ssa_for_delete: ssa_for_delete.id,
        kid,
        purchase: purchase.purchase_id.clone(),
        rita: rita.to_string(),
        wanda: wanda.to_string(),
        group,
        group_for_delete,
        scim_token,
        heir: heir.to_string(),
        spare_admin: spare_admin.to_string(),
    };

    let mut callers = vec![Caller { who: Who::Anonymous, client: app.client(), id: None }];
    for (who, email) in [
        (Who::NorthAdmin, AMARA),
        (Who::BothAdmin, ADMIN),
        (Who::OtherAdmin, OTHER_ADMIN),
        (Who::Member, BRUNO),
        (Who::Guest, GUEST),
        (Who::Invitee, INVITEE),
        (Who::Outsider, OUTSIDER),
        (Who::SsoAdmin, SSO_ADMIN),
    ] {
        callers.push(Caller {
            who,
            client: app.signed_in(email).await,
            id: Some(account_id(app, email).await.to_string()),
        });
    }
    (fx, Callers(callers))
}

/// Posts a server function: form-encoded (scalars only) or as JSON.
async fn call(app: &TestApp, c: &reqwest::Client, func: &str, input: Input, args: &Value) -> (u16, Value) {
    let req = c.post(format!("{}/api/{func}", app.url)).header("Accept", "application/json");
    let req = match input {
        Input::Json => req.json(args),
        Input::Form => {
            let form: Vec<(String, String)> = args
                .as_object()
                .expect("arguments are an object")
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        Value::Bool(_) | Value::Number(_) => v.to_string(),
                        other => panic!("{func}: {k} = {other} cannot be form-encoded; use Input::Json"),
                    };
                    (k.clone(), v)
                })
                .collect();
            req.form(&form)
        }
    };
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Checks one answer against what was wanted; `Some(problem)` when it is wrong.
fn judge(want: Want, status: u16, body: &Value) -> Option<String> {
    let code = body.get("code").and_then(Value::as_str);
    match want {
        Want::Refused(expected) if status >= 400 && code == Some(expected) => None,
        Want::Refused(expected) => Some(format!("wanted refusal `{expected}`, got {status} {body}")),
        Want::Allowed | Want::NoEffect if status == 200 && code.is_none() => None,
        Want::Allowed | Want::NoEffect => Some(format!("wanted 200, got {status} {body}")),
    }
}

/// Table names, read from the migrations so a new table is covered without editing this.
fn tables() -> Vec<String> {
    // Sessions and sign-in attempts change with every request and sign-in; they hold no
    // team data.
    const SKIP: [&str; 2] = ["sessions", "sign_in_failures"];
    let dir = common::root().join("migrations");
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("migrations folder") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("migration");
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("CREATE TABLE ") else { continue };
            let rest = rest.trim_start_matches("IF NOT EXISTS ").trim();
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() && !SKIP.contains(&name.as_str()) {
                names.insert(name);
            }
        }
    }
    assert!(names.len() > 20, "found only {names:?} in {}", dir.display());
    names.into_iter().collect()
}

fn cell(r: &sqlx::any::AnyRow, i: usize) -> String {
    if let Ok(v) = r.try_get::<Option<String>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = r.try_get::<Option<i64>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = r.try_get::<Option<f64>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = r.try_get::<Option<bool>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = r.try_get::<Option<Vec<u8>>, _>(i) {
        return format!("{v:?}");
    }
    panic!("column {i} decodes as nothing this test knows")
}

type Snapshot = BTreeMap<String, Vec<String>>;

/// Every row of every table (but sessions), each table's rows sorted.
async fn snapshot(app: &TestApp, tables: &[String]) -> Snapshot {
    let mut out = BTreeMap::new();
    for t in tables {
        let rows =
            sqlx::query(&format!("SELECT * FROM {t}")).fetch_all(&app.db.pool).await.expect("read table");
        let mut lines: Vec<String> = rows
            .iter()
            .map(|r| (0..r.columns().len()).map(|i| cell(r, i)).collect::<Vec<_>>().join(" | "))
            .collect();
        lines.sort();
        out.insert(t.clone(), lines);
    }
    out
}

fn changed_tables(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    before.keys().filter(|t| before.get(*t) != after.get(*t)).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_refuses_other_teams_members_guests_and_anonymous_callers() {
    let app = spawn_app().await;
    let (fx, callers) = setup(&app).await;
    let tables = tables();
    let mut last = snapshot(&app, &tables).await;
    let mut problems = Vec::new();
    let mut cells = 0;
    let ops = ops();
    for op in &ops {
        let func = op.endpoint();
        // Members and guests are allowed the member-level reads; everyone else here is refused.
        // The SSO admin is asked wherever they are refused and on every read; a change they
        // may make is proven by them as its positive control instead.
        let sso = (op.control != Who::SsoAdmin).then_some(Who::SsoAdmin);
        let wants = REFUSED
            .iter()
            .copied()
            .chain(sso)
            .map(|w| (w, op.want(w)))
            .chain(op.also_refused.iter().map(|(w, c)| (*w, Want::Refused(c))));
        for (who, want) in wants {
            let caller = callers.get(who);
            let args = (op.args)(&fx, caller.id.as_deref());
            let (status, body) = call(&app, &caller.client, func, op.input, &args).await;
            cells += 1;
            if let Some(p) = judge(want, status, &body) {
                problems.push(format!("{} as {who:?}: {p}", op.label));
            }
            let now = snapshot(&app, &tables).await;
            if want != Want::Allowed {
                let changed = changed_tables(&last, &now);
                if !changed.is_empty() {
                    problems.push(format!("{} as {who:?} changed {changed:?}", op.label));
                }
            }
            last = now;
        }
        // The positive control: the same arguments work for the team's admin.
        let caller = callers.get(op.control);
        let args = (op.args)(&fx, caller.id.as_deref());
        let (status, body) = call(&app, &caller.client, func, op.input, &args).await;
        cells += 1;
        if let Some(p) = judge(Want::Allowed, status, &body) {
            problems.push(format!("{} as {:?} (positive control): {p}", op.label, op.control));
        }
        let now = snapshot(&app, &tables).await;
        if op.writes && changed_tables(&last, &now).is_empty() {
            problems.push(format!(
                "{}: the positive control changed nothing, so 'nothing changed' proves nothing",
                op.label
            ));
        }
        last = now;
    }
    assert!(problems.is_empty(), "{} of {cells} calls wrong:\n{}", problems.len(), problems.join("\n"));
    // Every operation × (6 refused callers + the positive control), the SSO admin on every
    // row they do not prove, and the extra refusals.
    let sso_rows = ops.iter().filter(|o| o.control != Who::SsoAdmin).count();
    let extra: usize = ops.iter().map(|o| o.also_refused.len()).sum();
    assert_eq!(cells, ops.len() * (REFUSED.len() + 1) + sso_rows + extra);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_teams_admin_cannot_reach_northwind_ids_through_their_own_team() {
    let app = spawn_app().await;
    let (fx, callers) = setup(&app).await;
    let tables = tables();
    let mut last = snapshot(&app, &tables).await;
    let mut problems = Vec::new();
    for case in cross_cases() {
        let args = (case.args)(&fx);
        let (status, body) = call(&app, &callers.get(case.who).client, case.label, case.input, &args).await;
        if let Some(p) = judge(case.want, status, &body) {
            problems.push(format!("{} as {:?} with {args}: {p}", case.label, case.who));
        }
        let nothing = body == json!(0)
            || body.get("sent") == Some(&json!(0))
            || body.get("summary").and_then(Value::as_str) == Some("Nobody is selected.");
        if case.want == Want::NoEffect && !nothing {
            problems.push(format!("{} as {:?}: wanted 0 changed, got {body}", case.label, case.who));
        }
        let now = snapshot(&app, &tables).await;
        let changed = changed_tables(&last, &now);
        if !changed.is_empty() {
            problems.push(format!("{} as {:?} changed {changed:?}", case.label, case.who));
        }
        last = now;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_endpoints_refuse_other_teams_members_guests_and_anonymous_callers() {
    let app = spawn_app().await;
    let (fx, callers) = setup(&app).await;
    let tables = tables();
    let mut problems = Vec::new();

    // CSV exports: admins of the team only; 401 without a session, 403 otherwise.
    for (export, first_line) in [
        ("usage/export.csv", "Team,Product,"),
        ("people/export.csv", "name,email,products,guest"),
        ("usage/advice.csv", "Advice,Person,Email,"),
    ] {
        let url = format!("{}/t/{}/{export}", app.url, fx.north);
        for who in REFUSED {
            let before = snapshot(&app, &tables).await;
            let res = callers.get(who).client.get(&url).send().await.unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            let want = if who == Who::Anonymous { 401 } else { 403 };
            if status != want || body.contains("Northwind") || body.contains(FARID) {
                problems.push(format!("export as {who:?}: wanted {want}, got {status} {body:?}"));
            }
            let changed = changed_tables(&before, &snapshot(&app, &tables).await);
            if !changed.is_empty() {
                problems.push(format!("export as {who:?} changed {changed:?}"));
            }
        }
        let res = callers.get(Who::NorthAdmin).client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200, "the export works for Northwind's admin");
        assert!(res.text().await.unwrap().starts_with(first_line), "{export}");
    }

    // The licensing and userinfo APIs take a bearer token, never the console's cookie.
    for who in [Who::NorthAdmin, Who::OtherAdmin, Who::Member, Who::Anonymous] {
        let c = &callers.get(who).client;
        for path in ["/licensing/v1/authorize", "/licensing/v1/release"] {
            let body = json!({"product": "DRAFT2D", "device_id": "matrix-desk", "device_name": "Desk"});
            let res = c.post(format!("{}{path}", app.url)).json(&body).send().await.unwrap();
            if res.status() != 401 {
                problems.push(format!("{path} with a console cookie as {who:?}: {}", res.status()));
            }
        }
        let res = c.get(format!("{}/userinfo", app.url)).send().await.unwrap();
        if res.status() != 400 {
            problems.push(format!("/userinfo with a console cookie as {who:?}: {}", res.status()));
        }
    }

    // With a real token, another team's admin gets no lease on Northwind's subscription
    // and Northwind's balance is untouched; Farid, who holds a seat, gets one.
    let north = TeamId::parse(&fx.north).unwrap();
    let scopes = app::domain::oauth::Scopes::parse("user:read").unwrap();
    let (client, _) = app::service::identity::create_client(
        &app.db,
        &north,
        "Draft 2D desktop",
        scopes,
        vec![],
        app.clock.now(),
    )
    .await
    .unwrap();
    let keys = app::service::keys::KeySet::new(app.db.clone());
    let token = |who: &str| {
        let (keys, client, url, now, who) =
            (&keys, &client, app.url.clone(), app.clock.now(), who.to_string());
        async move {
            app::service::identity::issue_access_token(
                keys,
                &url,
                client,
                &who,
                "user:read".into(),
                app::domain::oauth::GrantKind::User,
                now,
            )
            .await
            .unwrap()
            .token
        }
    };
    let authorize = |token: String, product: &'static str, device: &'static str| {
        let url = format!("{}/licensing/v1/authorize", app.url);
        async move {
            let body = json!({"product": product, "device_id": device, "device_name": "Laptop"});
            let res = reqwest::Client::new().post(url).bearer_auth(token).json(&body).send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // Issued before the snapshot: the first token creates the signing key.
    let other = token(callers.get(Who::OtherAdmin).id.as_deref().unwrap()).await;
    let before = snapshot(&app, &tables).await;
    for product in ["DRAFT2D", "MODEL3D", "MOTION"] {
        let (status, body) = authorize(other.clone(), product, "matrix-laptop").await;
        if status < 400 || body["error"] != "not_entitled" {
            problems.push(format!("licence for {product} as another team's admin: {status} {body}"));
        }
    }
    let changed = changed_tables(&before, &snapshot(&app, &tables).await);
    if !changed.is_empty() {
        problems.push(format!("refused licences changed {changed:?}"));
    }
    // The demo data has Farid using Draft 2D on "demo-desk" right now.
    let (status, body) = authorize(token(&fx.farid).await, "DRAFT2D", "demo-desk").await;
    assert_eq!(status, 200, "Farid's own seat: {body}");

    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The console's pages render on the server: nothing of Northwind may reach a non-member's
/// page, and no member's address a plain member's or guest's.
// Four workers, not two: on a 2-worker runtime shared with the rest of the suite, about one
// full run in three saw one of this test's ~100 server-rendered pages send its headers and
// then never finish its body (0% CPU; the 60 s client timeout caught it). This looks like
// leptos's out-of-order streaming stalling on a small runtime (leptos-rs/leptos#4647); it is
// a liveness bug to chase in the server, not what this access test checks, so it is named
// in the issue notes rather than hidden here. With four workers: 0 stalls in 4 full runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn console_pages_show_nothing_of_northwind_to_those_refused() {
    let app = spawn_app().await;
    let (fx, callers) = setup(&app).await;
    let pages = console_pages(&fx);
    let mut problems = Vec::new();
    let mut control_saw_farid = 0;
    for (pattern, path) in &pages {
        let url = format!("{}{path}", app.url);
        for who in REFUSED.into_iter().chain([Who::SsoAdmin]) {
            let res = callers.get(who).client.get(&url).send().await.unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            let secret = match who {
                // Members (and SSO admins) see their team's name; another member's address is
                // what they must not.
                Who::Member | Who::Guest | Who::SsoAdmin => FARID,
                _ => "Northwind",
            };
            // Members may see their own home page, which names nobody else.
            if body.contains(secret) {
                problems.push(format!("{pattern} as {who:?} ({status}) shows {secret:?}"));
            }
        }
        let res = callers.get(Who::NorthAdmin).client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path} for Northwind's admin");
        let body = res.text().await.unwrap();
        assert!(body.contains("Northwind Studio"), "{path} for Northwind's admin names the team");
        control_saw_farid += usize::from(body.contains(FARID));
    }
    assert!(control_saw_farid >= 2, "the admin sees Farid's address on the users and member pages");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every page under /t/:team, with its parameters filled in for Northwind.
fn console_pages(fx: &Fx) -> Vec<(String, String)> {
    let source = read("app/src/app.rs");
    let mut pages = vec![];
    let mut inside_team = false;
    for line in source.lines() {
        if line.contains("path!(\"/t/:team\")") {
            inside_team = true;
            pages.push(("/t/:team".to_string(), format!("/t/{}", fx.north)));
            continue;
        }
        if line.contains("</ParentRoute>") {
            inside_team = false;
        }
        let Some(rest) = line.split("path!(\"").nth(1).filter(|_| inside_team) else { continue };
        let sub = rest.split('"').next().unwrap_or_default();
        if sub.is_empty() {
            continue;
        }
        let path = sub.replace(":member", &fx.farid).replace(":code", "DRAFT2D").replace(":group", &fx.group);
        assert!(!path.contains(':'), "no value for a parameter of {sub}: add one here");
        pages.push((format!("/t/:team/{sub}"), format!("/t/{}/{path}", fx.north)));
    }
    assert!(pages.len() >= 10, "found only {pages:?}");
    pages
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(common::root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Endpoint names of every `#[server]` function under app/src.
fn server_functions() -> BTreeSet<String> {
    let files = common::files_under(&common::root().join("app/src"), &["rs"]);
    let mut names = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let line = line.trim();
            if !line.starts_with("#[server") {
                continue;
            }
            let name = match line.split("endpoint = \"").nth(1) {
                Some(rest) => rest.split('"').next().unwrap_or_default().to_string(),
                // Without an explicit endpoint the function's name is used.
                None => lines
                    .by_ref()
                    .find_map(|l| {
                        l.split("fn ").nth(1).map(|r| r.split('(').next().unwrap_or_default().to_string())
                    })
                    .unwrap_or_default(),
            };
            assert!(!name.is_empty(), "cannot read the name after {line} in {}", file.display());
            names.insert(name);
        }
    }
    assert!(names.len() > 30, "found only {names:?}");
    names
}

/// Paths of every `.route("...")` in src/startup.rs and src/api/*.rs.

#[test]
fn every_server_function_and_route_is_in_the_matrix() {
    let in_matrix: BTreeSet<String> = ops().iter().map(|o| o.endpoint().to_string()).collect();
    let allowed: BTreeSet<String> = SELF_SERVICE.iter().map(|(n, _)| n.to_string()).collect();
    let found = server_functions();
    let missing: Vec<&String> =
        found.iter().filter(|n| !in_matrix.contains(*n) && !allowed.contains(*n)).collect();
    assert!(missing.is_empty(), "server functions in neither ops() nor SELF_SERVICE: {missing:?}");
    let stale: Vec<&String> = in_matrix.union(&allowed).filter(|n| !found.contains(*n)).collect();
    assert!(stale.is_empty(), "listed here but no such #[server] function: {stale:?}");
    let labels: BTreeSet<&str> = ops().iter().map(|o| o.label).collect();
    assert_eq!(labels.len(), ops().len(), "labels are unique");
    for c in cross_cases() {
        assert!(found.contains(c.label), "cross case {} names no server function", c.label);
    }

    // Team-scoped HTTP routes are tested in `http_endpoints_refuse_...`; the rest are open.
    let tested = [
        "/t/{team}/usage/export.csv",
        "/t/{team}/people/export.csv",
        "/t/{team}/usage/advice.csv",
        "/licensing/v1/authorize",
        "/licensing/v1/release",
        "/userinfo",
    ];
    let known: BTreeSet<&str> = tested.into_iter().chain(OPEN_ROUTES.iter().map(|(p, _)| *p)).collect();
    let routes = common::mounted_routes();
    let unknown: Vec<&String> = routes.iter().filter(|r| !known.contains(r.as_str())).collect();
    assert!(unknown.is_empty(), "HTTP routes neither tested nor listed in OPEN_ROUTES: {unknown:?}");
    let gone: Vec<&&str> = known.iter().filter(|p| !routes.contains(**p)).collect();
    assert!(gone.is_empty(), "listed here but no such route: {gone:?}");
}
