//! The public feed of announced conferences of a unit subtree, for local
//! media and portals (R7.3): iCalendar (RFC 5545) and JSON over HTTP, without
//! authentication. Drafts, cancelled and postponed conferences are not in it.
//! The feed of a unit that ended in a reorganisation redirects (308) to its
//! successor's.

use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{TimeDelta, Utc};
use doithoai_directory as directory;
use doithoai_proto::scheduling::v1::{Conference, Form};
use doithoai_runtime::Clock;
use icalendar::{Component, EventLike};
use sqlx::PgPool;

use crate::{domain::conference, store};

#[derive(Clone)]
struct Feed {
    pool: PgPool,
    clock: Clock,
}

pub fn router(pool: PgPool, clock: Clock) -> Router {
    Router::new().route("/public/units/{file}", get(feed)).with_state(Feed { pool, clock })
}

/// `GET /public/units/323.ics` or `/public/units/323.json`.
async fn feed(State(feed): State<Feed>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = file.rsplit_once('.') else {
        return (StatusCode::NOT_FOUND, "use /public/units/<code>.ics or .json").into_response();
    };
    if directory::parse_code("code", code).is_err() || !matches!(format, "ics" | "json") {
        return (StatusCode::NOT_FOUND, "use /public/units/<code>.ics or .json").into_response();
    }
    // A unit that ended in a reorganisation: its subscribers follow its successor.
    match successor(&feed, code).await {
        Ok(Some(successor)) => {
            let location = format!("/public/units/{successor}.{format}");
            return (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, location)]).into_response();
        }
        Ok(None) => {}
        Err(error) => {
            tracing::error!(error = %error, "public feed failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let conferences = match announced(&feed, code).await {
        Ok(conferences) => conferences,
        Err(error) => {
            tracing::error!(error = %error, "public feed failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match format {
        "ics" => ([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], ical(code, &conferences)).into_response(),
        _ => axum::Json(conferences.iter().map(json).collect::<Vec<_>>()).into_response(),
    }
}

/// The first successor of a unit that has ended by today, if it has.
async fn successor(feed: &Feed, code: &str) -> anyhow::Result<Option<String>> {
    let life = store::units::life(&mut *feed.pool.acquire().await?, code).await?;
    let ended = life.to.is_some_and(|to| to < feed.clock.today());
    Ok(life.successors.first().filter(|_| ended).map(ToString::to_string))
}

/// Announced, running and recent conferences (the last 90 days and on).
async fn announced(feed: &Feed, code: &str) -> anyhow::Result<Vec<Conference>> {
    let since = feed.clock.now() - TimeDelta::days(90);
    Ok(store::conferences::announced_since(&mut *feed.pool.acquire().await?, code, since).await?)
}

fn where_held(conference: &Conference) -> String {
    let form = Form::try_from(conference.form).unwrap_or_default();
    match form {
        Form::Online => format!("Trực tuyến: {}", conference.online_link),
        Form::Hybrid => format!("{} / Trực tuyến: {}", conference.venue_address, conference.online_link),
        _ => conference.venue_address.clone(),
    }
}

fn ical(code: &str, conferences: &[Conference]) -> String {
    let mut calendar = icalendar::Calendar::new();
    calendar.name(&format!("Hội nghị tiếp xúc, đối thoại — đơn vị {code}"));
    for c in conferences {
        let (Some(start), Some(end)) = (conference::starts_at(c), conference::planned_end(c)) else { continue };
        let notice = c
            .notice
            .as_ref()
            .map(|n| format!("Thông báo trên {} ngày {}", n.media_channel, n.publication_date))
            .unwrap_or_default();
        let event = icalendar::Event::new()
            .uid(&format!("{}@doithoai", c.id))
            .summary(&c.theme)
            .starts(start)
            .ends(end)
            .location(&where_held(c))
            .description(&notice)
            .timestamp(Utc::now())
            .done();
        calendar.push(event);
    }
    calendar.done().to_string()
}

fn json(c: &Conference) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "unit_code": c.unit_code,
        "theme": c.theme,
        "starts_at": conference::starts_at(c).map(|t| t.to_rfc3339()),
        "ends_at": conference::planned_end(c).map(|t| t.to_rfc3339()),
        "where": where_held(c),
        "state": conference::state(c).as_str_name().trim_start_matches("CONFERENCE_STATE_"),
        "notice": c.notice.as_ref().map(|n| serde_json::json!({ "media_channel": n.media_channel, "publication_date": n.publication_date })),
    })
}
