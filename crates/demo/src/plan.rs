//! The demonstration year, decided up front from a seed: who holds which
//! conference when, what is raised there and what becomes of it. Pure and
//! deterministic: the same units, year and seed give the same plan, and the
//! plan alone tells what the deadlines service's annual report must say.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use chrono::{Datelike, Days, NaiveDate};
use doithoai_calendar::Calendar;
use doithoai_proto::{
    common::v1::Field,
    deadlines::v1::{Count, ObligationKind, Report},
    directory::v1::UnitRow,
    minutes::v1::Classification,
    scheduling::v1::{Body, ConferenceKind, OrganizationKind, Rank, Regime},
};
use rand::{Rng, SeedableRng, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;

use crate::texts;

/// R10.2: working days from a conference's end to its conclusion notice.
pub const NOTICE_WORKING_DAYS: u32 = 10;
/// R10.3: working days from the notice's receipt (or sending) to the agency's response.
pub const RESPONSE_WORKING_DAYS: u32 = 30;
/// R13.1: working days after a period's end to file its report (the service's default).
pub const REPORT_WORKING_DAYS: u32 = 10;

/// A unit of the directory, as the plan needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoUnit {
    pub code: String,
    pub name: String,
    /// 1 province, 2 district, 3 commune.
    pub tier: i32,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PostPlan {
    pub unit: String,
    pub body: Body,
    pub rank: Rank,
    pub title: String,
    pub person_name: String,
    pub subject: String,
    /// The day a post of a unit formed by a reorganisation begins; `None`: it
    /// is there from the start of the plan.
    pub begins: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationPlan {
    pub unit: String,
    pub kind: OrganizationKind,
    pub name: String,
    /// The R5.1 fields an agency answers; empty for an office.
    pub fields: Vec<Field>,
    /// An office's head, who signs its notices; empty for an agency.
    pub head: Option<(String, String)>,
    /// As for [`PostPlan::begins`].
    pub begins: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConferencePlan {
    pub unit: String,
    /// Index into [`Plan::posts`].
    pub host: usize,
    /// A deputy hosting through a recorded delegation (R2.2).
    pub delegate: Option<usize>,
    pub regime: Regime,
    pub kind: ConferenceKind,
    pub venue: String,
    pub theme: String,
    pub day: NaiveDate,
    /// The public notice, at least 7 days before (R7.3).
    pub announce_on: NaiveDate,
    /// The day the office takes the registrations, between the notice and the conference.
    pub register_on: NaiveDate,
    /// Who registers, in registration order: the order speakers are called (R8.3).
    pub citizens: Vec<CitizenPlan>,
    /// Indexes into [`Plan::organizations`] (R7.4).
    pub invited: Vec<usize>,
    /// Who each invited agency sends, in the order of `invited`.
    pub invitees: Vec<InviteePlan>,
    pub petitions: Vec<PetitionPlan>,
    /// The conclusion notice (R10.2); `None` if not issued by the end of the plan.
    pub notice_on: Option<NaiveDate>,
    /// Agencies that acknowledge receipt of the notice, and when.
    pub acknowledged: BTreeMap<usize, NaiveDate>,
}

/// A fictitious citizen (or a collective) who registers for a conference (R2.3).
#[derive(Debug, Clone, PartialEq)]
pub struct CitizenPlan {
    pub who: Registrant,
    /// Where they live or work: a unit of the conference's subtree.
    pub unit: String,
    pub role: Turn,
}

/// The leader or official an invited agency sends to answer (R7.4).
#[derive(Debug, Clone, PartialEq)]
pub struct InviteePlan {
    pub name: String,
    pub title: &'static str,
    /// Accepts and comes; otherwise declines.
    pub attends: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Registrant {
    Person(String),
    /// An organisation at a representatives' conference, and who speaks for it.
    Collective {
        organization: String,
        representative: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Turn {
    /// Registers to speak and, when called, raises this petition (an index into the conference's).
    Raises(usize),
    /// Registers to speak but is not there when called.
    Absent,
    /// Comes to listen.
    Listens,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PetitionPlan {
    pub text: &'static str,
    pub field: Field,
    pub classification: Classification,
    pub fate: Fate,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// Answered at the conference by the host, or by an invited agency's official.
    Answered { by_agency: Option<usize> },
    /// A complaint or denunciation handed to citizen reception (R1.2).
    Referred,
    /// In the conclusion notice for an agency (R10.3), perhaps escalated (R10.4).
    Assigned { agency: usize, response: Option<NaiveDate>, escalation: Option<EscalationPlan> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct EscalationPlan {
    pub on: NaiveDate,
    pub to_unit: String,
    pub to_agency: usize,
    pub response: Option<NaiveDate>,
}

/// A head's R13.1 report, filed by the office.
#[derive(Debug, Clone, PartialEq)]
pub struct FilingPlan {
    pub post: usize,
    pub kind: ObligationKind,
    pub year: i32,
    pub filed_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub year: i32,
    pub seed: u64,
    /// The day the plan is played up to; nothing happens after it.
    pub until: NaiveDate,
    pub units: Vec<DemoUnit>,
    pub posts: Vec<PostPlan>,
    pub organizations: Vec<OrganizationPlan>,
    pub conferences: Vec<ConferencePlan>,
    pub filings: Vec<FilingPlan>,
    /// The reorganisations the year crosses, in order, each played on its day.
    pub reorganisations: Vec<Reorganisation>,
}

/// A reorganisation played on its effective day (issue 14): the list it
/// applies, and who takes over the work of what ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Reorganisation {
    pub decision: String,
    pub effective: NaiveDate,
    pub rows: Vec<UnitRow>,
    /// Units of the plan that end the day before, and the unit of the plan
    /// that takes over their work.
    pub ended: BTreeMap<String, String>,
    /// Offices and agencies of ended units (indexes into [`Plan::organizations`])
    /// and the one of the successor unit that does the same work.
    pub successors: BTreeMap<usize, usize>,
}

impl Plan {
    /// The organization that acts for `organization` on `day`: its successor
    /// (or its successor's) once its unit has ended.
    pub fn acting(&self, organization: usize, day: NaiveDate) -> usize {
        self.reorganisations
            .iter()
            .filter(|r| day >= r.effective)
            .fold(organization, |acting, r| r.successors.get(&acting).copied().unwrap_or(acting))
    }

    /// Whether `unit` has ended by `day`.
    pub fn ended(&self, unit: &str, day: NaiveDate) -> bool {
        self.reorganisations.iter().any(|r| day >= r.effective && r.ended.contains_key(unit))
    }
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

struct Planner<'a> {
    rng: ChaCha8Rng,
    /// Who registers, drawn apart so that the rest of the year stays as `rng` alone makes it.
    people: ChaCha8Rng,
    calendar: &'a Calendar,
    year: i32,
    /// No conference is held before this day (units formed during the year hold none before they exist).
    starts: NaiveDate,
    until: NaiveDate,
}

impl Planner<'_> {
    fn working_days_after(&self, from: NaiveDate, n: u32) -> anyhow::Result<NaiveDate> {
        self.calendar.add_working_days(from, n).with_context(|| format!("{n} working days after {from}"))
    }

    /// Some working days after `from`: as many as the dice say within `range`.
    fn later(&mut self, from: NaiveDate, range: std::ops::RangeInclusive<u32>) -> anyhow::Result<NaiveDate> {
        let n = self.rng.random_range(range);
        self.working_days_after(from, n)
    }

    /// A working day between two dates of the year, none before the plan
    /// starts (a season already over by then moves to the rest of the year).
    fn working_day(&mut self, from: (u32, u32), to: (u32, u32)) -> anyhow::Result<NaiveDate> {
        let (mut first, mut last) = (date(self.year, from.0, from.1), date(self.year, to.0, to.1));
        if last < self.starts {
            last = date(self.year, 12, 10).max(self.starts);
        }
        first = first.max(self.starts);
        let span = (last - first).num_days().max(0) as u64;
        let day = first + Days::new(self.rng.random_range(0..=span));
        if self.calendar.is_working_day(day).with_context(|| format!("the calendar of {day}"))? {
            Ok(day)
        } else {
            self.working_days_after(day, 1)
        }
    }

    /// `date`, if it is not after the end of the plan.
    fn by_until(&self, date: NaiveDate) -> Option<NaiveDate> {
        (date <= self.until).then_some(date)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn field(&mut self) -> Field {
        let roll = self.rng.random_range(0..100);
        match roll {
            0..60 => Field::EconomyAndSociety,
            60..75 => Field::SocialOrderAndSafety,
            75..87 => Field::GovernmentBuilding,
            87..91 => Field::DefenceAndSecurity,
            91..95 => Field::PartyBuilding,
            _ => Field::FrontAndOrganizations,
        }
    }
}

/// The unit's agencies that answer `field`.
fn answering(organizations: &[OrganizationPlan], unit: &str, field: Field) -> Vec<usize> {
    (0..organizations.len())
        .filter(|&i| organizations[i].unit == unit && organizations[i].fields.contains(&field))
        .collect()
}

/// Plans `year` for `units` (the first is the root; parents come before
/// children), playing nothing after `until`.
pub fn plan(units: &[DemoUnit], year: i32, seed: u64, until: NaiveDate) -> anyhow::Result<Plan> {
    anyhow::ensure!(until > date(year, 12, 31), "the demonstration year must be over by {until}: pick an earlier year");
    plan_to(units, year, seed, date(year, 1, 1), until)
}

/// [`plan`] for a year that may still be going on: what falls after `until`
/// is left out of it by [`Plan::within`].
pub(crate) fn plan_to(
    units: &[DemoUnit],
    year: i32,
    seed: u64,
    starts: NaiveDate,
    until: NaiveDate,
) -> anyhow::Result<Plan> {
    anyhow::ensure!(!units.is_empty(), "no units to plan for");
    let mut people = ChaCha8Rng::seed_from_u64(seed);
    people.set_stream(1);
    // The offices' heads from a stream of their own, so the rest of the year stays as it was.
    let mut office_heads = ChaCha8Rng::seed_from_u64(seed);
    office_heads.set_stream(2);
    let calendar = Calendar::builtin();
    let mut p = Planner { rng: ChaCha8Rng::seed_from_u64(seed), people, calendar, year, starts, until };
    let codes: HashMap<&str, &DemoUnit> = units.iter().map(|u| (u.code.as_str(), u)).collect();
    let mut communes_below: HashMap<&str, Vec<&str>> = HashMap::new();
    for unit in units.iter().filter(|u| u.tier == 3) {
        let mut above = unit.parent.as_deref();
        while let Some(code) = above.filter(|c| codes.contains_key(c)) {
            communes_below.entry(code).or_default().push(&unit.code);
            above = codes[code].parent.as_deref();
        }
    }

    let mut posts = Vec::new();
    let mut organizations = Vec::new();
    for unit in units {
        let name = &unit.name;
        for (body, rank, title, subject) in [
            (Body::PartyCommittee, Rank::Head, format!("Bí thư cấp ủy {name}"), "bithu"),
            (Body::PartyCommittee, Rank::Deputy, format!("Phó Bí thư cấp ủy {name}"), "phobithu"),
            (Body::PeoplesCommittee, Rank::Head, format!("Chủ tịch UBND {name}"), "chutich"),
            (Body::PeoplesCommittee, Rank::Deputy, format!("Phó Chủ tịch UBND {name}"), "phochutich"),
        ] {
            let person_name = texts::person_name(&mut p.rng);
            let subject = format!("{subject}-{}", unit.code);
            posts.push(PostPlan { unit: unit.code.clone(), body, rank, title, person_name, subject, begins: None });
        }
        organizations.push(OrganizationPlan {
            unit: unit.code.clone(),
            kind: OrganizationKind::PartyCommitteeOffice,
            name: format!("Văn phòng cấp ủy {name}"),
            fields: Vec::new(),
            head: Some(("Chánh Văn phòng".into(), texts::person_name(&mut office_heads))),
            begins: None,
        });
        organizations.push(OrganizationPlan {
            unit: unit.code.clone(),
            kind: OrganizationKind::CouncilAndCommitteeOffice,
            name: format!("Văn phòng HĐND và UBND {name}"),
            fields: Vec::new(),
            head: Some(("Chánh Văn phòng".into(), texts::person_name(&mut office_heads))),
            begins: None,
        });
        for (name, fields) in texts::agencies(unit.tier, name) {
            organizations.push(OrganizationPlan {
                unit: unit.code.clone(),
                kind: OrganizationKind::Department,
                name,
                fields,
                head: None,
                begins: None,
            });
        }
    }

    let mut conferences = Vec::new();
    for (u, unit) in units.iter().enumerate() {
        // Posts of unit u: Bí thư, Phó Bí thư, Chủ tịch, Phó Chủ tịch.
        let (bithu, chutich) = (4 * u, 4 * u + 2);
        let mut held: Vec<Held> = Vec::new();
        for head in [bithu, chutich] {
            // R6.2, R6.3: nearly every head holds the periodic dialogue.
            if p.chance(0.95) {
                let kind = if unit.tier == 3 || p.chance(0.5) {
                    ConferenceKind::CitizensDirect
                } else {
                    ConferenceKind::Representatives
                };
                held.push((head, Regime::Periodic, kind, p.working_day((3, 1), (12, 10))?));
            }
        }
        if unit.tier < 3 {
            // Regular conferences around the People's Council sessions.
            held.push((chutich, Regime::Regular, ConferenceKind::Representatives, p.working_day((6, 1), (6, 25))?));
            held.push((chutich, Regime::Regular, ConferenceKind::Representatives, p.working_day((11, 2), (11, 25))?));
        }
        if p.chance(0.12) {
            let host = if p.chance(0.5) { bithu } else { chutich };
            held.push((host, Regime::AdHoc, ConferenceKind::Thematic, p.working_day((3, 1), (12, 10))?));
        }
        for held in held {
            conferences.push(conference(&mut p, &organizations, &communes_below, unit, held)?);
        }
    }
    conferences.sort_by(|a, b| (a.day, &a.unit).cmp(&(b.day, &b.unit)));

    let mut filings = Vec::new();
    for (post, plan) in posts.iter().enumerate() {
        if plan.rank != Rank::Head {
            continue;
        }
        for (kind, period_end) in
            [(ObligationKind::ReportHalfYear, date(year, 6, 30)), (ObligationKind::ReportYear, date(year, 12, 31))]
        {
            let due = p.working_days_after(period_end, REPORT_WORKING_DAYS)?;
            let roll = p.rng.random_range(0..100);
            let filed_on = match roll {
                0..85 => p.later(period_end, 1..=REPORT_WORKING_DAYS)?,
                85..95 => p.later(due, 1..=10)?,
                _ => continue,
            };
            if let Some(filed_on) = p.by_until(filed_on) {
                filings.push(FilingPlan { post, kind, year, filed_on });
            }
        }
    }
    Ok(Plan {
        year,
        seed,
        until,
        units: units.to_vec(),
        posts,
        organizations,
        conferences,
        filings,
        reorganisations: Vec::new(),
    })
}

/// A conference to hold: host, regime, kind and day.
type Held = (usize, Regime, ConferenceKind, NaiveDate);

/// What happens at and after one conference.
fn conference(
    p: &mut Planner<'_>,
    organizations: &[OrganizationPlan],
    communes_below: &HashMap<&str, Vec<&str>>,
    unit: &DemoUnit,
    (host, regime, kind, day): Held,
) -> anyhow::Result<ConferencePlan> {
    // R2.2: now and then the head sends the deputy of the same body.
    let delegate = (regime == Regime::Periodic && p.chance(0.12)).then_some(host + 1);
    // R4.2: a higher level often goes to a commune.
    let venue = match communes_below.get(unit.code.as_str()) {
        Some(communes) if p.chance(0.5) => communes.choose(&mut p.rng).map_or(unit.code.clone(), |c| (*c).to_owned()),
        _ => unit.code.clone(),
    };
    let theme = texts::THEMES.choose(&mut p.rng).copied().unwrap_or("Đối thoại với nhân dân").to_owned();
    let announce_on = day - Days::new(p.rng.random_range(8..=14));
    let invited: Vec<usize> = (0..organizations.len())
        .filter(|&i| organizations[i].unit == unit.code && !organizations[i].fields.is_empty())
        .collect();
    let raised = match unit.tier {
        1 => p.rng.random_range(4..=9),
        2 => p.rng.random_range(3..=7),
        _ => p.rng.random_range(2..=5),
    };
    let mut petitions = Vec::new();
    for _ in 0..raised {
        if p.chance(0.08) {
            let classification = if p.chance(0.7) { Classification::Complaint } else { Classification::Denunciation };
            let text = texts::COMPLAINTS.choose(&mut p.rng).copied().unwrap_or("Khiếu nại");
            petitions.push(PetitionPlan {
                text,
                field: Field::EconomyAndSociety,
                classification,
                fate: Fate::Referred,
            });
            continue;
        }
        let field = p.field();
        let classification = match p.rng.random_range(0..100) {
            0..65 => Classification::Petition,
            65..90 => Classification::Proposal,
            _ => Classification::Feedback,
        };
        let agencies = answering(organizations, &unit.code, field);
        let agency = *agencies.choose(&mut p.rng).context("every field has an agency")?;
        let fate = if p.chance(0.35) {
            Fate::Answered { by_agency: p.chance(0.3).then_some(agency) }
        } else {
            Fate::Assigned { agency, response: None, escalation: None }
        };
        petitions.push(PetitionPlan { text: texts::petition_text(field, &mut p.rng), field, classification, fate });
    }

    // R10.2: most notices within 10 working days, some late.
    let notice_after =
        if p.chance(0.85) { p.rng.random_range(5..=NOTICE_WORKING_DAYS) } else { p.rng.random_range(11..=15) };
    let notice_on = p.by_until(p.working_days_after(day, notice_after)?);
    let mut acknowledged = BTreeMap::new();
    if let Some(notice_on) = notice_on {
        let mut assigned: Vec<usize> = petitions
            .iter()
            .filter_map(|petition| match petition.fate {
                Fate::Assigned { agency, .. } => Some(agency),
                _ => None,
            })
            .collect();
        assigned.sort_unstable();
        assigned.dedup();
        for agency in assigned {
            if p.chance(0.65) {
                let on = p.later(notice_on, 1..=3)?;
                if let Some(on) = p.by_until(on) {
                    acknowledged.insert(agency, on);
                }
            }
        }
        for petition in &mut petitions {
            let Fate::Assigned { agency, response, escalation } = &mut petition.fate else { continue };
            let anchor = acknowledged.get(agency).copied().unwrap_or(notice_on);
            let due = p.working_days_after(anchor, RESPONSE_WORKING_DAYS)?;
            // R10.4: now and then a matter is beyond the unit and goes up a level.
            let parent = unit.parent.as_deref().filter(|parent| communes_below.contains_key(parent));
            if let Some(parent) = parent.filter(|_| p.chance(0.05)) {
                let on = p.later(notice_on, 3..=8)?;
                let to_agencies = answering(organizations, parent, petition.field);
                if let (Some(on), Some(&to_agency)) = (p.by_until(on), to_agencies.choose(&mut p.rng)) {
                    let answered = p.chance(0.7);
                    let reply = p.later(on, 10..=RESPONSE_WORKING_DAYS)?;
                    *escalation = Some(EscalationPlan {
                        on,
                        to_unit: parent.to_owned(),
                        to_agency,
                        response: p.by_until(reply).filter(|_| answered),
                    });
                    continue;
                }
            }
            let on = match p.rng.random_range(0..100) {
                0..72 => Some(p.later(anchor, 5..=RESPONSE_WORKING_DAYS)?),
                72..90 => Some(p.later(due, 1..=12)?),
                _ => None,
            };
            *response = on.and_then(|on| p.by_until(on));
        }
    }
    let register_on = announce_on + Days::new(p.people.random_range(1..(day - announce_on).num_days() as u64));
    let residents = communes_below.get(unit.code.as_str()).filter(|_| venue == unit.code);
    let citizens = citizens(&mut p.people, kind, &venue, residents, petitions.len());
    // An agency whose official answers at the conference is there; the others nearly always.
    let answers = |o: usize| petitions.iter().any(|p| p.fate == Fate::Answered { by_agency: Some(o) });
    let invitees = invited
        .iter()
        .map(|&o| InviteePlan {
            name: texts::person_name(&mut p.people),
            title: texts::invitee_title(unit.tier),
            attends: answers(o) || p.people.random_bool(0.9),
        })
        .collect();
    Ok(ConferencePlan {
        unit: unit.code.clone(),
        host,
        delegate,
        regime,
        kind,
        venue,
        theme,
        day,
        announce_on,
        register_on,
        citizens,
        invited,
        invitees,
        petitions,
        notice_on,
        acknowledged,
    })
}

/// Who registers for a conference held at `venue`: one speaker for each of
/// its `raised` petitions, in order, now and then one who does not turn up,
/// and a few who come to listen. They live at the venue or, when the unit
/// holds it at its own seat, in any of its `residents` communes.
fn citizens(
    rng: &mut ChaCha8Rng,
    kind: ConferenceKind,
    venue: &str,
    residents: Option<&Vec<&str>>,
    raised: usize,
) -> Vec<CitizenPlan> {
    let mut turns: Vec<Turn> = (0..raised).map(Turn::Raises).collect();
    if rng.random_bool(0.15) {
        let at = rng.random_range(0..=turns.len());
        turns.insert(at, Turn::Absent);
    }
    let listeners = rng.random_range(0..=3);
    turns.extend(std::iter::repeat_n(Turn::Listens, listeners));
    let mut citizens: Vec<CitizenPlan> = Vec::new();
    for role in turns {
        // The service refuses a second registration of the same name from the same unit (R8.3): draw again.
        for _ in 0..100 {
            let unit = residents.and_then(|communes| communes.choose(rng)).copied().unwrap_or(venue).to_owned();
            let who = if kind == ConferenceKind::Representatives && rng.random_bool(0.3) {
                Registrant::Collective {
                    organization: texts::collective_name(rng),
                    representative: texts::person_name(rng),
                }
            } else {
                Registrant::Person(texts::person_name(rng))
            };
            let citizen = CitizenPlan { who, unit, role };
            if !citizens.iter().any(|other| other.same_registrant(&citizen)) {
                citizens.push(citizen);
                break;
            }
        }
    }
    citizens
}

impl CitizenPlan {
    /// Whether the participants service would take the two for one registrant:
    /// the same person's or organisation's name from the same unit.
    pub fn same_registrant(&self, other: &CitizenPlan) -> bool {
        let name = |c: &CitizenPlan| match &c.who {
            Registrant::Person(name) => (false, name.clone()),
            Registrant::Collective { organization, .. } => (true, organization.clone()),
        };
        self.unit == other.unit && name(self) == name(other)
    }
}

/// How an obligation with this due date and meeting date stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Standing {
    OnTime,
    Late,
    Overdue,
    Open,
}

fn standing(due: NaiveDate, met: Option<NaiveDate>, today: NaiveDate) -> Standing {
    match met {
        Some(met) if met <= due => Standing::OnTime,
        Some(_) => Standing::Late,
        None if today > due => Standing::Overdue,
        None => Standing::Open,
    }
}

#[derive(Default)]
struct Tally(BTreeMap<String, u32>);

impl Tally {
    fn add(&mut self, key: &str) {
        *self.0.entry(key.to_owned()).or_default() += 1;
    }

    fn counts(self) -> Vec<Count> {
        self.0.into_iter().map(|(key, count)| Count { key, count }).collect()
    }
}

impl Plan {
    /// What the deadlines service's report for the plan's root unit over
    /// [`from`, `to`] must say on `today`, worked out from the plan alone.
    pub fn expected_report(&self, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> anyhow::Result<Report> {
        let calendar = Calendar::builtin();
        let after = |from: NaiveDate, n: u32| calendar.add_working_days(from, n).context("the calendar");
        let root = &self.units[0];
        let mut report = Report {
            unit_code: root.code.clone(),
            unit_name: root.name.clone(),
            from: from.to_string(),
            to: to.to_string(),
            ..Default::default()
        };
        let (mut kinds, mut regimes, mut fields, mut classifications) =
            (Tally::default(), Tally::default(), Tally::default(), Tally::default());
        let mut notices = [0u32; 3];
        let mut responses = [0u32; 3];
        let count = |tally: &mut [u32; 3], due: NaiveDate, met: Option<NaiveDate>| {
            if (from..=to).contains(&due) {
                match standing(due, met, today) {
                    Standing::OnTime => tally[0] += 1,
                    Standing::Late => tally[1] += 1,
                    Standing::Overdue => tally[2] += 1,
                    Standing::Open => {}
                }
            }
        };
        for conference in &self.conferences {
            let in_period = (from..=to).contains(&conference.day);
            if in_period {
                kinds.add(conference.kind.as_str_name());
                regimes.add(conference.regime.as_str_name());
            }
            count(&mut notices, after(conference.day, NOTICE_WORKING_DAYS)?, conference.notice_on);
            for petition in &conference.petitions {
                if in_period {
                    fields.add(petition.field.as_str_name());
                    classifications.add(petition.classification.as_str_name());
                    match &petition.fate {
                        Fate::Answered { .. } => report.petitions_answered_at_conference += 1,
                        Fate::Referred => report.petitions_referred += 1,
                        Fate::Assigned { escalation: Some(_), .. } => report.petitions_escalated += 1,
                        Fate::Assigned { .. } => {}
                    }
                }
                let (Fate::Assigned { agency, response, escalation }, Some(notice_on)) =
                    (&petition.fate, conference.notice_on)
                else {
                    continue;
                };
                match escalation {
                    // The unit's clock is cancelled; the receiving level's runs from the escalation.
                    Some(escalation) => {
                        count(&mut responses, after(escalation.on, RESPONSE_WORKING_DAYS)?, escalation.response)
                    }
                    None => {
                        let anchor = conference.acknowledged.get(agency).copied().unwrap_or(notice_on);
                        count(&mut responses, after(anchor, RESPONSE_WORKING_DAYS)?, *response);
                    }
                }
            }
        }
        let year_of_period = from.year()..=to.year();
        for (post, plan) in self.posts.iter().enumerate() {
            if plan.rank != Rank::Head || !year_of_period.contains(&self.year) {
                continue;
            }
            let held = self.conferences.iter().any(|c| c.host == post && c.regime == Regime::Periodic && c.day <= to);
            if held {
                report.heads_held += 1;
            } else {
                report.heads_not_held += 1;
            }
        }
        report.conferences_by_kind = kinds.counts();
        report.conferences_by_regime = regimes.counts();
        report.petitions_by_field = fields.counts();
        report.petitions_by_classification = classifications.counts();
        [report.notices_on_time, report.notices_late, report.notices_overdue] = notices;
        [report.responses_on_time, report.responses_late, report.responses_overdue] = responses;
        Ok(report)
    }

    /// How many petitions the plan raises.
    pub fn petitions(&self) -> usize {
        self.conferences.iter().map(|c| c.petitions.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units() -> Vec<DemoUnit> {
        let unit = |code: &str, tier, parent: Option<&str>| DemoUnit {
            code: code.into(),
            name: format!("Đơn vị {code}"),
            tier,
            parent: parent.map(Into::into),
        };
        let mut units = vec![unit("33", 1, None), unit("323", 2, Some("33")), unit("325", 2, Some("33"))];
        for n in 0..12 {
            let district = if n % 2 == 0 { "323" } else { "325" };
            units.push(unit(&format!("{}", 11950 + n), 3, Some(district)));
        }
        units
    }

    fn until() -> NaiveDate {
        date(2026, 11, 26)
    }

    #[test]
    fn the_same_seed_gives_the_same_year_and_another_seed_another() {
        let one = plan(&units(), 2025, 1548, until()).unwrap();
        assert_eq!(one, plan(&units(), 2025, 1548, until()).unwrap());
        assert_ne!(one.conferences, plan(&units(), 2025, 1549, until()).unwrap().conferences);
    }

    #[test]
    fn r7_3_every_conference_is_announced_at_least_seven_days_ahead_and_held_on_a_working_day() {
        let plan = plan(&units(), 2025, 7, until()).unwrap();
        for conference in &plan.conferences {
            assert!((conference.day - conference.announce_on).num_days() >= 7, "{conference:?}");
            assert!(conference.announce_on.year() == 2025 && conference.day.year() == 2025);
            assert!(Calendar::builtin().is_working_day(conference.day).unwrap(), "{}", conference.day);
        }
    }

    #[test]
    fn r6_2_the_year_has_periodic_regular_and_ad_hoc_conferences_and_every_fate() {
        let plan = plan(&units(), 2025, 7, until()).unwrap();
        let regimes: Vec<Regime> = plan.conferences.iter().map(|c| c.regime).collect();
        for regime in [Regime::Periodic, Regime::Regular] {
            assert!(regimes.contains(&regime), "{regime:?}");
        }
        let periodic = regimes.iter().filter(|r| **r == Regime::Periodic).count();
        assert!(periodic >= 25, "most of the 30 heads hold their dialogue: {periodic}");
        let fates: Vec<&Fate> = plan.conferences.iter().flat_map(|c| &c.petitions).map(|p| &p.fate).collect();
        assert!(fates.iter().any(|f| matches!(f, Fate::Referred)));
        assert!(fates.iter().any(|f| matches!(f, Fate::Answered { .. })));
        assert!(fates.iter().any(|f| matches!(f, Fate::Assigned { escalation: Some(_), .. })));
        let report = plan.expected_report(date(2025, 1, 1), date(2025, 12, 31), until()).unwrap();
        assert!(report.notices_on_time > 0 && report.notices_late > 0, "{report:?}");
        assert!(report.responses_on_time > 0 && report.responses_late > 0 && report.responses_overdue > 0);
    }

    #[test]
    fn r8_3_each_petition_is_raised_by_its_own_speaker_in_registration_order() {
        let plan = plan(&units(), 2025, 7, until()).unwrap();
        for conference in &plan.conferences {
            let raised: Vec<usize> = conference
                .citizens
                .iter()
                .filter_map(|c| match c.role {
                    Turn::Raises(p) => Some(p),
                    _ => None,
                })
                .collect();
            assert_eq!(raised, (0..conference.petitions.len()).collect::<Vec<_>>());
            assert!(conference.announce_on < conference.register_on && conference.register_on < conference.day);
        }
        let roles: Vec<Turn> = plan.conferences.iter().flat_map(|c| &c.citizens).map(|c| c.role).collect();
        assert_eq!(roles.iter().filter(|r| matches!(r, Turn::Raises(_))).count(), plan.petitions());
        assert!(roles.contains(&Turn::Absent) && roles.contains(&Turn::Listens));
        let collectives = plan.conferences.iter().flat_map(|c| &c.citizens);
        assert!(collectives.clone().any(|c| matches!(c.who, Registrant::Collective { .. })));
    }

    #[test]
    fn r8_3_no_one_registers_twice_for_a_conference() {
        // A small place and many registrants: names are bound to repeat unless the plan draws again.
        let units = &units()[..1];
        for seed in 0..100 {
            for conference in plan(units, 2025, seed, until()).unwrap().conferences {
                for (i, citizen) in conference.citizens.iter().enumerate() {
                    assert!(!conference.citizens[..i].iter().any(|other| other.same_registrant(citizen)));
                }
            }
        }
    }

    #[test]
    fn r7_4_every_invited_agency_answers_the_invitation_and_who_answers_a_petition_comes() {
        let plan = plan(&units(), 2025, 7, until()).unwrap();
        for conference in &plan.conferences {
            assert_eq!(conference.invitees.len(), conference.invited.len());
            for petition in &conference.petitions {
                if let Fate::Answered { by_agency: Some(agency) } = petition.fate {
                    let at = conference.invited.iter().position(|&o| o == agency).unwrap();
                    assert!(conference.invitees[at].attends, "{conference:?}");
                }
            }
        }
        let invitees = || plan.conferences.iter().flat_map(|c| &c.invitees);
        assert!(invitees().any(|i| i.attends) && invitees().any(|i| !i.attends));
    }

    #[test]
    fn r2_3_citizens_live_in_the_conference_s_subtree() {
        let units = units();
        let plan = plan(&units, 2025, 7, until()).unwrap();
        let parent = |code: &str| units.iter().find(|u| u.code == code).and_then(|u| u.parent.clone());
        for conference in &plan.conferences {
            for citizen in &conference.citizens {
                let mut at = Some(citizen.unit.clone());
                while at.as_deref().is_some_and(|code| code != conference.unit && code != conference.venue) {
                    at = parent(at.as_deref().unwrap_or_default());
                }
                assert!(at.is_some(), "{} is outside {}", citizen.unit, conference.unit);
            }
        }
    }

    #[test]
    fn nothing_happens_after_the_day_the_year_is_played_to() {
        let early = date(2026, 1, 20);
        let plan = plan(&units(), 2025, 7, early).unwrap();
        for conference in &plan.conferences {
            assert!(conference.notice_on.is_none_or(|on| on <= early));
            for petition in &conference.petitions {
                if let Fate::Assigned { response: Some(on), .. } = petition.fate {
                    assert!(on <= early);
                }
            }
        }
        assert!(plan.filings.iter().all(|f| f.filed_on <= early));
    }

    #[test]
    fn a_year_not_over_is_refused() {
        let error = plan(&units(), 2026, 7, until()).unwrap_err();
        assert!(error.to_string().contains("pick an earlier year"), "{error}");
    }
}
