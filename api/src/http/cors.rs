//! CORS: which browser pages on other origins may call the API.
//!
//! A frontend served from `https://budget.example` that calls the API on another origin
//! makes the browser ask first (a preflight: `OPTIONS` with `Origin` and
//! `Access-Control-Request-Method`). Only origins configured exactly
//! (`PRIORITERING_CORS_ORIGINS`, none by default) are answered with CORS headers; for any
//! other origin the answer carries none, so the browser keeps the response from the page.
//!
//! Tokens travel in the `Authorization` header, never in cookies, so credentials are not
//! allowed and no answer carries a wildcard: a page on an allowed origin still needs a token.
//! CORS is not access control for other clients (anything but a browser ignores it).

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{Error, HttpResponse};
use futures_util::future::LocalBoxFuture;

use crate::http::error_body;

/// The methods a page may use: queries by GET or POST, and nothing else exists.
const ALLOWED_METHODS: &str = "GET, POST";
/// The request headers a page may send: the token and the JSON body's type.
const ALLOWED_HEADERS: &str = "Authorization, Content-Type";
/// Response headers a page may read besides the simple ones: the request id to quote in a
/// support request, the feed head of an export, an export's file name and when to retry.
const EXPOSED_HEADERS: &str = "X-Request-Id, X-Feed-Head, Content-Disposition, Retry-After";
/// How long a browser may reuse a preflight's answer, seconds.
const MAX_AGE_SECONDS: &str = "600";

/// Reads `PRIORITERING_CORS_ORIGINS`: comma-separated exact origins, scheme and host and
/// a port where it is not the default (`https://budget.example,http://localhost:5173`), as
/// a browser sends them in `Origin`. A wildcard, a path or a trailing slash is an error
/// at start-up rather than an origin that silently never matches.
pub fn parse_origins(list: Option<&str>) -> Result<Vec<String>, String> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(|origin| {
            let origin = origin.trim();
            let fail = |why: &str| {
                Err(format!(
                    "PRIORITERING_CORS_ORIGINS: {origin:?} {why} (write origins as \
                     https://host or https://host:port, separated by commas)"
                ))
            };
            let Some((scheme, host)) = origin.split_once("://") else {
                return fail("is not an origin");
            };
            if !matches!(scheme, "http" | "https") {
                return fail("must start with http:// or https://");
            }
            if host.is_empty() {
                return fail("names no host");
            }
            if host.contains('*') {
                return fail("is a wildcard: list each origin exactly");
            }
            if host
                .chars()
                .any(|c| matches!(c, '/' | '?' | '#' | '@' | ',') || c.is_whitespace())
            {
                return fail("has more than scheme, host and port (no path, no trailing slash)");
            }
            let default_port = if scheme == "https" { ":443" } else { ":80" };
            if host.ends_with(default_port) {
                return fail("names the default port, which browsers leave out of Origin");
            }
            Ok(origin.to_ascii_lowercase())
        })
        .collect()
}

/// The middleware: answers preflights itself and adds the CORS headers to the answers
/// for allowed origins.
#[derive(Clone)]
pub struct Cors {
    origins: Arc<[String]>,
}

impl Cors {
    /// CORS for exactly `origins` (as [`parse_origins`] returns them); none allows none.
    pub fn new(origins: &[String]) -> Self {
        Self {
            origins: origins.into(),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Cors
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = CorsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CorsMiddleware {
            service: Rc::new(service),
            origins: self.origins.clone(),
        }))
    }
}

/// [`Cors`] around one service.
pub struct CorsMiddleware<S> {
    service: Rc<S>,
    origins: Arc<[String]>,
}

impl<S, B> Service<ServiceRequest> for CorsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let configured = !self.origins.is_empty();
        let allowed = request
            .headers()
            .get(header::ORIGIN)
            .filter(|origin| {
                origin
                    .to_str()
                    .is_ok_and(|origin| self.origins.iter().any(|o| o == origin))
            })
            .cloned();
        let preflight = request.method() == Method::OPTIONS
            && request
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if preflight {
            let response = preflight_response(allowed, configured);
            return Box::pin(ready(Ok(request
                .into_response(response)
                .map_into_right_body())));
        }
        let service = self.service.clone();
        Box::pin(async move {
            let mut response = service.call(request).await?;
            let headers = response.headers_mut();
            if configured {
                // The answer depends on Origin: shared caches must not serve one origin's
                // answer to another.
                headers.append(header::VARY, HeaderValue::from_static("Origin"));
            }
            if let Some(origin) = allowed {
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                headers.insert(
                    header::ACCESS_CONTROL_EXPOSE_HEADERS,
                    HeaderValue::from_static(EXPOSED_HEADERS),
                );
            }
            Ok(response.map_into_left_body())
        })
    }
}

/// The answer to a preflight: 204 with what a page may do for an allowed origin, 403 with
/// no CORS header for any other (the browser then refuses the page its request).
fn preflight_response(allowed: Option<HeaderValue>, configured: bool) -> HttpResponse {
    let vary = |response: &mut actix_web::HttpResponseBuilder| {
        if configured {
            response.insert_header((header::VARY, "Origin"));
        }
    };
    match allowed {
        Some(origin) => {
            let mut response = HttpResponse::NoContent();
            vary(&mut response);
            response
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECONDS))
                .finish()
        }
        None => {
            let mut response = HttpResponse::build(StatusCode::FORBIDDEN);
            vary(&mut response);
            response.json(error_body(
                "FORBIDDEN",
                "this origin may not call the API from a browser (CORS)",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_exact_and_validated() {
        assert_eq!(parse_origins(None), Ok(vec![]));
        assert_eq!(
            parse_origins(Some("https://A.example, http://localhost:5173")),
            Ok(vec![
                "https://a.example".to_owned(),
                "http://localhost:5173".to_owned()
            ])
        );
        for bad in [
            "*",
            "https://*.example",
            "https://a.example/",
            "https://a.example/app",
            "a.example",
            "ftp://a.example",
            "https://",
            "https://a.example:443",
            "https://a.example,",
        ] {
            assert!(parse_origins(Some(bad)).is_err(), "{bad}");
        }
    }
}
