//! Authentication and authorization runtime for fastmcp servers.
//!
//! This crate will hold the token verifiers, RFC 9728 protected-resource metadata,
//! `WWW-Authenticate` challenges and the built-in OAuth 2.1 authorization server. It knows
//! nothing about MCP messages and can be used by any axum/tower application.
//!
//! It is intentionally empty until the resource-server auth work lands.
