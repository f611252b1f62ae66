//! Who acts on a conference: the office (OFFICE, ADMIN) of its unit or
//! above, its secretary (SECRETARY whose token subject it names), its host —
//! the head whose post it names, or the deputy the head delegated (R2.2): a
//! HOST caller whose token subject is that post's login subject, in the
//! scheduling service's directory and in the replica every other service
//! keeps of it (the same `positions` shape) — and, for registrations, a
//! portal (SERVICE). Scope (the unit's subtree) is checked before, by the
//! caller of these.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Caller, Reason, Refusal, Role, ServiceResult};

/// One who acts on a conference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Office,
    Secretary,
    Host,
    Portal,
}

/// What a service knows of a conference that says who acts on it.
#[derive(Debug, Clone, Copy)]
pub struct Conference<'a> {
    pub host_position: Uuid,
    pub deputy_position: Option<Uuid>,
    pub secretary_subject: &'a str,
}

impl Conference<'_> {
    /// The first of `actors` the caller acts as, or PERMISSION_DENIED
    /// `NOT_YOUR_CONFERENCE` saying who may.
    pub async fn acting(&self, conn: &mut PgConnection, caller: &Caller, actors: &[Actor]) -> ServiceResult<Actor> {
        for actor in actors {
            if self.acts_as(conn, caller, *actor).await? {
                return Ok(*actor);
            }
        }
        let (en, vi) = who(actors);
        Err(Refusal::denied(
            Reason::NotYourConference,
            format!("only {en} may do this"),
            format!("chỉ {vi} được thực hiện thao tác này"),
        )
        .into())
    }

    pub async fn acts_as(&self, conn: &mut PgConnection, caller: &Caller, actor: Actor) -> ServiceResult<bool> {
        Ok(match actor {
            Actor::Office => caller.has_role(Role::Office) || caller.has_role(Role::Admin),
            Actor::Secretary => caller.has_role(Role::Secretary) && caller.subject == self.secretary_subject,
            Actor::Portal => caller.has_role(Role::Service),
            Actor::Host => hosts(conn, caller, self.host_position, self.deputy_position).await?,
        })
    }
}

/// "the office or its secretary", in English and Vietnamese.
fn who(actors: &[Actor]) -> (String, String) {
    let (en, vi): (Vec<&str>, Vec<&str>) = actors
        .iter()
        .map(|actor| match actor {
            Actor::Office => ("the office", "văn phòng"),
            Actor::Secretary => ("its secretary", "thư ký hội nghị"),
            Actor::Host => ("its host", "người chủ trì"),
            Actor::Portal => ("a portal", "cổng thông tin"),
        })
        .unzip();
    let join = |names: Vec<&str>, or: &str| match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} {or} {last}", rest.join(", ")),
        None => String::new(),
    };
    (join(en, "or"), join(vi, "hoặc"))
}

/// Whether `caller` hosts: a HOST holding the host's post or the deputy's.
async fn hosts(conn: &mut PgConnection, caller: &Caller, host: Uuid, deputy: Option<Uuid>) -> ServiceResult<bool> {
    if !caller.has_role(Role::Host) {
        return Ok(false);
    }
    let posts: Vec<Uuid> = std::iter::once(host).chain(deputy).collect();
    let holds = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM positions WHERE id = ANY($1) AND subject = $2)")
        .bind(&posts)
        .bind(&caller.subject)
        .fetch_one(conn)
        .await?;
    Ok(holds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_says_who_may() {
        assert_eq!(who(&[Actor::Host]), ("its host".into(), "người chủ trì".into()));
        let (en, vi) = who(&[Actor::Office, Actor::Secretary, Actor::Host]);
        assert_eq!(en, "the office, its secretary or its host");
        assert_eq!(vi, "văn phòng, thư ký hội nghị hoặc người chủ trì");
    }
}
