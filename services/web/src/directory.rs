//! The names the pages print — units and agencies — read through the
//! scheduling service's directory with the portal's token and remembered for
//! a few minutes: every page names them, and they change a few times a year.
//! An id not yet known refreshes at once (at most every ten seconds).

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use doithoai_proto::{
    common::v1::Unit,
    directory::v1::GetSubtreeRequest,
    scheduling::v1::{ListOrganizationsRequest, Organization},
};
use doithoai_runtime::pagination::every_page;
use tokio::sync::RwLock;

use crate::backends::{Backends, ask};

const FRESH: Duration = Duration::from_secs(300);
const RETRY: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Known {
    units: HashMap<String, Unit>,
    organizations: HashMap<String, Organization>,
    loaded: Option<Instant>,
}

#[derive(Default)]
pub struct Directory {
    known: RwLock<Known>,
}

impl Directory {
    pub async fn unit(&self, backends: &Backends, token: &str, root: &str, code: &str) -> Option<Unit> {
        self.lookup(backends, token, root, |k| k.units.get(code).cloned()).await
    }

    pub async fn organization(&self, backends: &Backends, token: &str, root: &str, id: &str) -> Option<Organization> {
        if id.is_empty() {
            return None;
        }
        self.lookup(backends, token, root, |k| k.organizations.get(id).cloned()).await
    }

    /// The units directly below `code`, alive today first, by name.
    pub async fn children(&self, backends: &Backends, token: &str, root: &str, code: &str) -> Vec<Unit> {
        self.refresh_if_stale(backends, token, root, false).await;
        let known = self.known.read().await;
        let mut children: Vec<Unit> = known.units.values().filter(|u| u.parent_code == code).cloned().collect();
        children.sort_by(|a, b| (!a.valid_to.is_empty(), &a.name).cmp(&(!b.valid_to.is_empty(), &b.name)));
        children
    }

    async fn lookup<T>(
        &self,
        backends: &Backends,
        token: &str,
        root: &str,
        find: impl Fn(&Known) -> Option<T>,
    ) -> Option<T> {
        self.refresh_if_stale(backends, token, root, false).await;
        if let Some(found) = find(&*self.known.read().await) {
            return Some(found);
        }
        self.refresh_if_stale(backends, token, root, true).await;
        find(&*self.known.read().await)
    }

    async fn refresh_if_stale(&self, backends: &Backends, token: &str, root: &str, missing: bool) {
        let age = self.known.read().await.loaded.map(|at| at.elapsed());
        let stale = match age {
            None => true,
            Some(age) => age > FRESH || (missing && age > RETRY),
        };
        if !stale {
            return;
        }
        let mut known = self.known.write().await;
        // Another request may have refreshed it while this one waited.
        if known.loaded.is_some_and(|at| at.elapsed() < RETRY) {
            return;
        }
        match load(backends, token, root).await {
            Ok((units, organizations)) => {
                known.units = units.into_iter().map(|u| (u.code.clone(), u)).collect();
                known.organizations = organizations.into_iter().map(|o| (o.id.clone(), o)).collect();
                known.loaded = Some(Instant::now());
            }
            Err(status) => tracing::warn!(code = ?status.code(), "the directory's names could not be read"),
        }
    }
}

async fn load(backends: &Backends, token: &str, root: &str) -> Result<(Vec<Unit>, Vec<Organization>), tonic::Status> {
    let units = every_page::<_, tonic::Status, _, _>(usize::MAX, |page| {
        let request = GetSubtreeRequest { code: root.to_owned(), page, on_date: String::new() };
        async move {
            let answer = backends.units().get_subtree(ask(request, token)).await?.into_inner();
            Ok((answer.units, answer.page))
        }
    })
    .await?;
    let organizations = every_page::<_, tonic::Status, _, _>(usize::MAX, |page| {
        let request = ListOrganizationsRequest { unit_code: root.to_owned(), kind: 0, page };
        async move {
            let answer = backends.directory().list_organizations(ask(request, token)).await?.into_inner();
            Ok((answer.organizations, answer.page))
        }
    })
    .await?;
    Ok((units, organizations))
}
