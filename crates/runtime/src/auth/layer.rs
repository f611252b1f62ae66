//! The authenticator around a gRPC service: a tower service rather than a
//! tonic interceptor, because verifying a provider's token may first read
//! its key set (a rotation), which is asynchronous.

use std::{
    convert::Infallible,
    task::{Context, Poll},
};

use futures::future::BoxFuture;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tonic::{Status, body::Body, server::NamedService};
use tower::Service;

use super::Authenticator;

/// `inner`, reached only by authenticated callers, with the [`super::Caller`]
/// in the request's extensions.
#[derive(Clone)]
pub struct Authenticated<S> {
    inner: S,
    authenticator: Authenticator,
}

impl<S> Authenticated<S> {
    pub fn new(inner: S, authenticator: Authenticator) -> Self {
        Self { inner, authenticator }
    }
}

impl<S> Service<http::Request<Body>> for Authenticated<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // The clone that was made ready serves this request; the fresh one waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let authenticator = self.authenticator.clone();
        Box::pin(async move {
            match authenticator.authenticate(request.headers()).await {
                Ok(mut caller) => {
                    caller.peer = peer(&request);
                    tracing::Span::current().record("caller", tracing::field::display(&caller.subject));
                    request.extensions_mut().insert(caller);
                    inner.call(request).await
                }
                Err(refused) => Ok(Status::from(refused).into_http()),
            }
        })
    }
}

/// The identity of the verified client certificate the connection came with.
fn peer(request: &http::Request<Body>) -> Option<String> {
    let certificates = request.extensions().get::<TlsConnectInfo<TcpConnectInfo>>()?.peer_certs()?;
    crate::tls::identity(certificates.first()?)
}

impl<S: NamedService> NamedService for Authenticated<S> {
    const NAME: &'static str = S::NAME;
}
