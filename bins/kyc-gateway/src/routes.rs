//! The gateway's HTTP routes: the API (`api`), the end-user and review pages (`pages`), and
//! the limits and signing layers around them. Kept apart from both so that neither module
//! needs the other's router.

use crate::AppState;
use crate::{api, pages};
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

/// The router of the whole gateway.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/v1/sessions",
            post(api::post_sessions).options(api::sessions_preflight),
        )
        .route(
            "/v1/sessions/",
            post(api::post_sessions).options(api::sessions_preflight),
        )
        .route(
            "/v1/sessions/{id}",
            axum::routing::patch(api::patch_session).delete(api::delete_session),
        )
        .route(
            "/v1/sessions/{id}/media",
            post(api::post_media).get(api::get_session_media),
        )
        .route("/v1/sessions/{id}/person", get(api::get_person))
        .route("/v1/sessions/{id}/attempts", get(api::get_attempts))
        .route("/v1/sessions/{id}/decision", get(api::get_decision))
        .route("/v1/sessions/{id}/timestamps", get(api::get_session_timestamps))
        .route("/v1/attempts/{id}/media", get(api::get_attempt_media))
        .route("/v1/media/{id}", get(api::get_media))
        .route("/v1/timestamps/{id}", get(api::get_timestamp))
        .route("/docval/results/{token}", post(api::docval_result))
        .route("/v/{token}", get(pages::end_user_page))
        .route("/review", get(pages::review_list))
        .route("/review/login", get(pages::login_page).post(pages::login))
        .route("/review/logout", post(pages::logout))
        .route("/review/sessions/{id}", get(pages::review_session))
        .route("/review/media/{id}", get(pages::review_media))
        .route("/openapi.json", get(pages::openapi))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics))
        .fallback(api::not_found)
        .layer(axum::extract::DefaultBodyLimit::disable())
        // Outermost first: the rate limits, then the in-flight limit, then the handler.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::ratelimit::in_flight,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::ratelimit::middleware,
        ))
        // Outermost: error answers of every layer within are signed.
        .layer(axum::middleware::from_fn_with_state(state.clone(), api::sign_errors))
        .with_state(state)
}
