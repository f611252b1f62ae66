//! The host of a conference as its documents name it (R7.3, R7.4): the unit
//! and its place, the hosting post and its holder, the office that issues in
//! the body's name, the venue and the units asked to coordinate (R4.2). Read
//! from the scheduling service's own tables or from a replica of them.

use doithoai_documents::Body as IssuingBody;
use doithoai_documents::conference::Host;
use doithoai_proto::scheduling::v1::{Body, Conference};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{organizations, units};

pub async fn host(conn: &mut PgConnection, conference: &Conference) -> sqlx::Result<Host> {
    // Who hosts: the deputy when the head delegated (R2.2).
    let hosting = conference.delegation.as_ref().map_or(&conference.host_position_id, |d| &d.deputy_position_id);
    let (title, name) = match Uuid::parse_str(hosting) {
        Ok(id) => post_holder(conn, id).await?,
        Err(_) => Default::default(),
    };
    let body = IssuingBody::from_proto(Body::try_from(conference.body).unwrap_or_default())
        .unwrap_or(IssuingBody::PeoplesCommittee);
    let mut coordinating_unit_names = Vec::with_capacity(conference.coordinating_unit_codes.len());
    for code in &conference.coordinating_unit_codes {
        coordinating_unit_names.push(name_of(conn, code).await?);
    }
    Ok(Host {
        body,
        unit_name: name_of(conn, &conference.unit_code).await?,
        place: units::place(conn, &conference.unit_path).await?,
        title,
        name,
        office: organizations::office(conn, &conference.unit_code, body.office_kind()).await?,
        venue_unit_name: units::unit_name(conn, &conference.venue_unit_code).await?.unwrap_or_default(),
        coordinating_unit_names,
    })
}

/// A unit's name, or its code when the directory does not have it yet.
async fn name_of(conn: &mut PgConnection, code: &str) -> sqlx::Result<String> {
    Ok(units::unit_name(conn, code).await?.unwrap_or_else(|| code.to_owned()))
}

/// The post's title and holder; blank (left to be written) when the post is
/// not in the directory.
async fn post_holder(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<(String, String)> {
    let found =
        sqlx::query_as("SELECT title, person_name FROM positions WHERE id = $1").bind(id).fetch_optional(conn).await?;
    Ok(found.unwrap_or_default())
}
