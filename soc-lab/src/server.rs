//! The accept loop every service shares: faults, the `/_lab/` control paths, restarts and
//! shutdown.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tower_service::Service as _;

use crate::fault::{Control, Faults, Verdict};

/// The largest request body a lab service reads (bulk requests and S3 objects included).
const MAX_BODY: usize = 512 * 1024 * 1024;

/// The error that makes hyper close a connection without answering.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
struct Dropped;

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    control: Arc<Control>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let router = router.layer(DefaultBodyLimit::max(MAX_BODY));
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(service = %control.service, error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let control = control.clone();
        let mut shutdown = shutdown.clone();
        let mut restarts = control.restarts();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let router = router.clone();
                let control = control.clone();
                async move { handle(req, router, &control).await }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            tokio::select! {
                result = conn => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "lab connection ended");
                    }
                }
                _ = restarts.changed() => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

async fn handle(
    req: Request<Incoming>,
    mut router: axum::Router,
    control: &Control,
) -> Result<Response<Body>, Dropped> {
    if req.uri().path().starts_with("/_lab/") {
        return Ok(control_route(req, control).await);
    }
    let verdict = control.roll();
    let delay = match &verdict {
        Verdict::Drop => {
            tracing::debug!(service = %control.service, "fault: dropping the connection");
            return Err(Dropped);
        }
        Verdict::RateLimit { delay, .. }
        | Verdict::Error { delay, .. }
        | Verdict::Pass { delay } => *delay,
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match verdict {
        Verdict::RateLimit { retry_after, .. } => Ok(fault_answer(
            StatusCode::TOO_MANY_REQUESTS,
            Some(retry_after),
        )),
        Verdict::Error { status, .. } => Ok(fault_answer(
            StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            None,
        )),
        _ => {
            let req = req.map(Body::new);
            match router.call(req).await {
                Ok(resp) => Ok(resp),
                Err(never) => match never {},
            }
        }
    }
}

fn fault_answer(status: StatusCode, retry_after: Option<u64>) -> Response<Body> {
    let body = serde_json::json!({
        "type": "LabFault",
        "message": format!("injected fault: {status}"),
    });
    let mut resp = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(secs) = retry_after {
        resp = resp.header(header::RETRY_AFTER, secs.to_string());
    }
    resp.body(Body::from(body.to_string()))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn json_answer(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(Body::from(value.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    resp
}

/// `GET|PUT /_lab/faults`, `POST /_lab/restart`, `GET /_lab/stats`: the live control API.
async fn control_route(req: Request<Incoming>, control: &Control) -> Response<Body> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    match (method, path.as_str()) {
        (Method::GET, "/_lab/faults") => json_answer(StatusCode::OK, &to_json(&control.get())),
        (Method::PUT, "/_lab/faults") => {
            let bytes = match req.into_body().collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => {
                    return json_answer(
                        StatusCode::BAD_REQUEST,
                        &serde_json::json!({"error": format!("reading the body: {e}")}),
                    )
                }
            };
            match serde_json::from_slice::<Faults>(&bytes)
                .map_err(|e| e.to_string())
                .and_then(|f| f.validate().map(|()| f))
            {
                Ok(faults) => {
                    control.set(faults);
                    json_answer(StatusCode::OK, &to_json(&control.get()))
                }
                Err(e) => json_answer(
                    StatusCode::BAD_REQUEST,
                    &serde_json::json!({"error": format!("invalid faults: {e}")}),
                ),
            }
        }
        (Method::POST, "/_lab/restart") => {
            control.restart();
            json_answer(
                StatusCode::OK,
                &serde_json::json!({"restarted": control.service}),
            )
        }
        (Method::GET, "/_lab/stats") => json_answer(
            StatusCode::OK,
            &serde_json::json!({"service": control.service, "requests": control.requests()}),
        ),
        (_, _) => json_answer(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"error": format!("no lab control route {path}"), "routes": [
                "GET /_lab/faults", "PUT /_lab/faults", "POST /_lab/restart", "GET /_lab/stats"
            ]}),
        ),
    }
}

fn to_json(faults: &Faults) -> serde_json::Value {
    serde_json::to_value(faults).unwrap_or(serde_json::Value::Null)
}
