//! The workspace of the people who do the work, signed in: the office plans,
//! prepares, announces and sends the conclusion notice; the secretary keeps
//! the queue and the minutes during the conference; the host starts, answers,
//! concludes and signs; the agency answers in writing. Every page reads, and
//! every form writes, through the services with the person's own token, so
//! the services decide who may do what; a refused form comes back as it was
//! typed, with the rule beside the field.

mod actions;
mod agency;
mod conferences;
mod documents;
mod forms;
mod home;
mod live;
mod notice;
mod plan;
mod prepare;
mod reads;
mod reports;

use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRequestParts},
    http::request::Parts,
    routing::{get, post},
};

use crate::{
    State,
    i18n::Lang,
    problem::{Failed, Problem},
    session::{MaybeViewer, Viewer},
};

/// A written response's PDF (3 MiB, as the minutes service keeps it) and its form.
const RESPONSE_BODY_LIMIT: usize = 4 * 1024 * 1024;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/work", get(home::page))
        .route("/work/plan", get(plan::page).post(plan::save))
        .route("/work/reports", get(reports::page).post(reports::file))
        .route("/work/conferences", get(conferences::list))
        .route("/work/conferences/new", get(conferences::new).post(conferences::create))
        .route("/work/conferences/{id}", get(prepare::page))
        .route("/work/conferences/{id}/live", get(live::page))
        .route("/work/conferences/{id}/queue", get(live::queue_part))
        .route("/work/conferences/{id}/notice", get(notice::page))
        .route("/work/conferences/{id}/minutes.pdf", get(documents::minutes))
        .route("/work/petitions/{id}/receipt.pdf", get(documents::receipt))
        .route("/work/invitations/{id}/letter.pdf", get(documents::invitation))
        .route("/work/conferences/{id}/do/{action}", post(actions::act))
        .route("/work/inbox", get(agency::inbox))
        .route("/work/petitions/{id}", get(agency::petition))
        .route("/work/petitions/{id}/do/{action}", post(agency::act))
        .route("/work/petitions/{id}/response.pdf", get(agency::document))
        .route("/work/petitions/{id}/response", post(agency::respond).layer(DefaultBodyLimit::max(RESPONSE_BODY_LIMIT)))
}

/// A signed-in person; without a session, the way to the sign-in page.
pub struct Worker(pub Viewer, pub Lang);

impl FromRequestParts<State> for Worker {
    type Rejection = Failed;

    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let Ok(lang) = Lang::from_request_parts(parts, state).await;
        let Ok(MaybeViewer(viewer, _)) = MaybeViewer::from_request_parts(parts, state).await;
        viewer.map(|v| Worker(v, lang)).ok_or(Failed(Problem::SignInNeeded, lang))
    }
}
