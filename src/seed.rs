//! Demo data for a fresh database: two teams, an admin of both, ~40 members (some guests,
//! some invited), eight invented products, subscriptions, trials and Flex purchases.
use app::domain::{Email, GroupName, PersonName, TeamName};
use app::store::catalogue::{add_product, add_team_product, NewProduct};
use app::store::teams::{add_member, create_team, MemberStatus, Role};
use app::store::{accounts, tokens, Db};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;

pub const DEMO_ADMIN: &str = "admin@northwind.example";

pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
    let mut rng = rand::thread_rng();
    (0..16).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

const PRODUCTS: [(&str, &str, &str, Option<i64>); 8] = [
    ("DRAFT2D", "Draft 2D", "desktop", Some(7)),
    ("MODEL3D", "Model 3D", "desktop", Some(10)),
    ("RENDER", "Render Studio", "desktop", Some(12)),
    ("SURVEY", "Survey Pro", "desktop", Some(5)),
    ("CIRCUIT", "Circuit Lab", "desktop", Some(6)),
    ("MOTION", "Motion Forge", "desktop", Some(9)),
    ("PLANT", "Plant Designer", "desktop", Some(8)),
    ("TERRAIN", "Terrain Cloud", "cloud", None),
];

const FIRST: [&str; 20] = [
    "Amara", "Bruno", "Chiara", "Dmitri", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kavya", "Lars",
    "Mei", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Sven", "Tomasz",
];
const LAST: [&str; 10] =
    ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Haddad", "Rossi", "Schmidt", "Costa", "Iyer"];

/// Seeds and returns the demo admin's email. `password` is also given to the active demo
/// members, so one can sign in as a plain member too.
pub async fn seed_demo(db: &Db, password: &str, now: DateTime<Utc>) -> anyhow::Result<String> {
    let hash =
        app::service::passwords::hash_blocking(password.to_string()).await.map_err(anyhow::Error::msg)?;
    let mut tx = db.pool.begin().await?;

    let mut product_ids = Vec::new();
    for (i, (code, name, kind, rate)) in PRODUCTS.iter().enumerate() {
        let added = now - Duration::days(400 - i as i64 * 20);
        let id =
            add_product(&mut *tx, &NewProduct { code, name, kind, flex_daily_rate: *rate }, added).await?;
        product_ids.push(id);
    }

    let north =
        create_team(&mut *tx, &TeamName::parse("Northwind Studio")?, now - Duration::days(500)).await?;
    let harbor =
        create_team(&mut *tx, &TeamName::parse("Harbor Engineering")?, now - Duration::days(300)).await?;

    let admin = accounts::create(
        &mut *tx,
        &Email::parse(DEMO_ADMIN)?,
        &PersonName::parse("Avery Admin")?,
        Some(&hash),
        now - Duration::days(500),
    )
    .await?;
    add_member(&mut tx, &north, &admin, (Role::Admin, false), MemberStatus::Active, None, now).await?;
    demo_profile(&mut tx, &admin, "Northwind Studio", "Studio operations lead", "de-DE", "DE", "Berlin", now)
        .await?;
    add_member(&mut tx, &harbor, &admin, (Role::Admin, false), MemberStatus::Active, None, now).await?;

    let mut north_people: Vec<app::domain::UserId> = Vec::new();
    // 40 people: the first 28 in Northwind, the rest in Harbor; every 7th a guest,
    // every 9th still invited (no password yet).
    for i in 0..40usize {
        let first = FIRST[i % FIRST.len()];
        let last = LAST[(i * 7 + i / FIRST.len()) % LAST.len()];
        let name = PersonName::parse(&format!("{first} {last}"))?;
        let email = Email::parse(&format!(
            "{}.{}{}@northwind.example",
            first.to_lowercase(),
            last.to_lowercase(),
            i
        ))?;
        let invited = i % 9 == 4;
        let guest = i % 7 == 3;
        let since = now - Duration::days(30 + (i as i64 * 11) % 400);
        let acc =
            accounts::create(&mut *tx, &email, &name, (!invited).then_some(hash.as_str()), since).await?;
        if i < 28 {
            north_people.push(acc.clone());
        }
        let team = if i < 28 { &north } else { &harbor };
        let status = if invited { MemberStatus::Invited } else { MemberStatus::Active };
        let role = if i == 0 { Role::Admin } else { Role::Member };
        add_member(&mut tx, team, &acc, (role, guest), status, None, since).await?;
        let (company, city, country, locale) = if i < 28 {
            ("Northwind Studio", "Berlin", "DE", "de-DE")
        } else {
            ("Harbor Engineering", "Boston", "US", "en-US")
        };
        let title = ["Designer", "Engineer", "Architect", "Project manager"][i % 4];
        demo_profile(&mut tx, &acc, company, title, locale, country, city, since).await?;
        if invited {
            // Two recent invitations and older ones already expired, so every status shows.
            // Marked as emailed, as the story goes, although no message exists: demo links
            // are never sent, only their hashes exist. (Unemailed ones would read "not
            // invited yet", as people an import added do.)
            let sent = if i < 20 { now - Duration::days(2) } else { now - Duration::days(10) };
            let (_, hash) = app::service::secrets::new_token();
            app::store::invitations::create(
                &mut tx,
                team,
                &acc,
                &hash,
                sent,
                app::domain::invitation::expires_at(sent),
                true,
                Some(admin.as_str()),
            )
            .await?;
        }
    }

    let year = Duration::days(365);
    add_team_product(
        &mut *tx,
        &north,
        &product_ids[1],
        "subscription",
        10,
        now - Duration::days(120),
        now - Duration::days(120) + year,
    )
    .await?;
    add_team_product(
        &mut *tx,
        &north,
        &product_ids[0],
        "subscription",
        25,
        now - Duration::days(40),
        now - Duration::days(40) + year,
    )
    .await?;
    add_team_product(
        &mut *tx,
        &north,
        &product_ids[2],
        "trial",
        5,
        now - Duration::days(10),
        now + Duration::days(20),
    )
    .await?;
    add_team_product(
        &mut *tx,
        &harbor,
        &product_ids[3],
        "subscription",
        8,
        now - Duration::days(200),
        now - Duration::days(200) + year,
    )
    .await?;
    add_team_product(
        &mut *tx,
        &harbor,
        &product_ids[4],
        "trial",
        3,
        now - Duration::days(5),
        now + Duration::days(25),
    )
    .await?;

    tokens::add_purchase(&mut tx, &north, 500, now - Duration::days(300)).await?;
    tokens::add_purchase(&mut tx, &north, 1000, now - Duration::days(60)).await?;
    tokens::add_purchase(&mut tx, &harbor, 300, now - Duration::days(10)).await?;
    // Draft 2D seats for six members (none a guest or still invited).
    for i in SEAT_HOLDERS {
        app::store::assignments::assign(
            &mut tx,
            &north,
            &north_people[i],
            &product_ids[0],
            Some(admin.as_str()),
            now - Duration::days(40),
        )
        .await?;
    }
    // Licence advice (R-ADV2) has something to say: seat prices for three products, a Draft 2D
    // seat nobody has used since it was given (Jonas), and Motion Forge's heavy Flex user
    // (Priya), who would be cheaper on a seat.
    for (product, tokens) in [(0, 1000), (1, 1200), (5, 300)] {
        app::store::catalogue::set_seat_tokens(&mut *tx, &product_ids[product], tokens).await?;
    }
    // The people whose Flex use is below may run what they use, as Flex users (R-FX1).
    for (i, product) in FLEX_USERS {
        let (person, at) = (&north_people[i], now - Duration::days(60));
        app::store::assignments::add_flex_user_by(&mut tx, &north, person, Some(admin.as_str()), at).await?;
        let only = app::domain::access::Individual::Products([product_ids[product].clone()].into());
        app::store::flex::set_individual(&mut tx, &north, person, &only, at).await?;
    }
    // Jonas got a Draft 2D seat 35 days ago and has never used it.
    app::store::assignments::assign(
        &mut tx,
        &north,
        &north_people[IDLE_SEAT],
        &product_ids[0],
        Some(admin.as_str()),
        now - Duration::days(35),
    )
    .await?;
    // A group, so *Users by group* has something to show. It gives no product, so every
    // seat figure above stays as it is.
    let since = now - Duration::days(30);
    let design =
        app::store::groups::create(&mut tx, &north, &GroupName::parse("Design team")?, since).await?;
    for i in [5, 6, 7] {
        app::store::groups::add_member(&mut tx, &north, &design, &north_people[i], since).await?;
    }
    tx.commit().await?;

    usage_history(db, &north, &north_people, &product_ids, now).await?;
    Ok(DEMO_ADMIN.to_string())
}

/// Northwind's Flex users (by seed index) and the one product each may run: the ones whose
/// use `usage_history` writes.
const FLEX_USERS: [(usize, usize); 4] = [(15, 5), (16, 6), (18, 3), (19, 3)];

/// The Northwind member (by seed index) holding a Draft 2D seat they never used: Jonas, the
/// licence advice's idle seat.
const IDLE_SEAT: usize = 9;

/// Northwind members (by seed index) holding a Draft 2D seat.
const SEAT_HOLDERS: [usize; 6] = [5, 6, 7, 8, 11, 12];

/// Six weeks of product use in Northwind, written the way the licensing service writes it
/// (usage windows, roll-ups and Flex charges from the oldest purchase), so the usage views
/// have something to show. The Flex windows cost exactly 180 tokens, all from the 500-token
/// purchase (it expires first): 10 days of Motion Forge (9 a day), 5 of Plant Designer (8)
/// and 10 of Survey Pro (5) across two people.
async fn usage_history(
    db: &Db,
    north: &app::domain::TeamId,
    people: &[app::domain::UserId],
    product_ids: &[String],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    use app::domain::licensing::LicenseType;
    let team = north;
    let teams = [north.clone()];
    let day = |d: i64, hour: i64| now - Duration::days(d) + Duration::hours(hour) - Duration::hours(12);
    // Draft 2D seats: most working days, each person at their own hour.
    for (n, &i) in SEAT_HOLDERS.iter().enumerate() {
        for d in (2..=42).rev() {
            if (d + n as i64) % 7 < 2 || (d * 3 + n as i64) % 5 == 0 {
                continue;
            }
            let at = day(d, n as i64);
            db.open_seat_window(
                team,
                &people[i],
                &product_ids[0],
                "demo-desk",
                LicenseType::Subscription,
                at,
            )
            .await?;
            db.touch_seat(team, &people[i], &product_ids[0], at).await?;
        }
    }
    // The newest seat holder is using Draft 2D right now.
    let live = &people[SEAT_HOLDERS[0]];
    db.open_seat_window(
        team,
        live,
        &product_ids[0],
        "demo-desk",
        LicenseType::Subscription,
        now - Duration::hours(2),
    )
    .await?;
    db.touch_seat(team, live, &product_ids[0], now - Duration::hours(2)).await?;
    db.claim_session(live, &product_ids[0], "demo-desk", now - Duration::hours(24), now - Duration::hours(2))
        .await?;
    // The Render Studio trial (10 days old).
    for d in 1..=8 {
        db.open_seat_window(team, &people[14], &product_ids[2], "demo-laptop", LicenseType::Trial, day(d, 3))
            .await?;
    }
    // Flex: (person, product, rate, days ago).
    let flex: [(usize, usize, i64, &[i64]); 4] = [
        (15, 5, 9, &[3, 4, 6, 9, 11, 16, 18, 23, 30, 37]),
        (16, 6, 8, &[5, 12, 19, 26, 33]),
        (18, 3, 5, &[2, 7, 8, 14, 21]),
        (19, 3, 5, &[6, 13, 20, 27, 41]),
    ];
    for (i, product, rate, days) in flex {
        for &d in days {
            db.charge_flex(&people[i], &product_ids[product], "demo-laptop", &teams, rate, day(d, 2)).await?;
        }
    }
    Ok(())
}

/// Profile details /userinfo returns (R-OIDC1), so the demo shows more than a name.
#[allow(clippy::too_many_arguments)]
async fn demo_profile(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    account: &app::domain::UserId,
    company: &str,
    job_title: &str,
    locale: &str,
    country: &str,
    city: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let p = app::store::identity::ProfileFields {
        locale,
        country_code: country,
        locality: city,
        company,
        job_title,
        industry: "Architecture, engineering and construction",
        industry_code: "AEC",
    };
    app::store::identity::insert_profile(&mut **tx, account, &p, at).await?;
    Ok(())
}
