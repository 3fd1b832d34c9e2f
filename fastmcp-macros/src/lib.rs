//! Procedural macros for fastmcp. See the `fastmcp` crate for documentation.
extern crate proc_macro;
use proc_macro::TokenStream;

/// Placeholder.
#[proc_macro_attribute]
pub fn mcp_server(_a: TokenStream, item: TokenStream) -> TokenStream { item }
/// Placeholder.
#[proc_macro_attribute]
pub fn tool(_a: TokenStream, item: TokenStream) -> TokenStream { item }
/// Placeholder.
#[proc_macro_attribute]
pub fn resource(_a: TokenStream, item: TokenStream) -> TokenStream { item }
/// Placeholder.
#[proc_macro_attribute]
pub fn prompt(_a: TokenStream, item: TokenStream) -> TokenStream { item }
