//! How every RPC runs: the tonic trait method is one line that hands the
//! authenticated caller and the request to the service's own body, which
//! answers with the service's result; the refusal becomes a status here, once.

use std::future::Future;

use tonic::{Request, Response, Status};

use crate::{Caller, ServiceResult, auth::OnBehalf};

pub async fn handle<Req, Res, Fut>(
    request: Request<Req>,
    body: impl FnOnce(Caller, Req) -> Fut,
) -> Result<Response<Res>, Status>
where
    Fut: Future<Output = ServiceResult<Res>>,
{
    let caller = Caller::of(&request)?;
    Ok(Response::new(body(caller, request.into_inner()).await?))
}

/// As [`handle`], for a body that asks another service on the caller's behalf.
pub async fn handle_on_behalf<Req, Res, Fut>(
    request: Request<Req>,
    body: impl FnOnce(Caller, OnBehalf, Req) -> Fut,
) -> Result<Response<Res>, Status>
where
    Fut: Future<Output = ServiceResult<Res>>,
{
    let caller = Caller::of(&request)?;
    let credentials = OnBehalf::of(&request)?;
    Ok(Response::new(body(caller, credentials, request.into_inner()).await?))
}
