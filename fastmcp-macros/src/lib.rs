//! Procedural macros for fastmcp: `#[mcp_server]` on an impl block, with `#[tool]`,
//! `#[resource]` and `#[prompt]` on its methods. See the `fastmcp` crate for documentation.
//!
//! The implementation runs in three phases, one module each: `ast` parses the impl block
//! and its attributes (`attr`), `valid` checks what needs the whole block, `expand`
//! writes the builder calls. Every error found is reported; on error the impl block is still
//! emitted so the rest of the crate (and the IDE) keeps working.

extern crate proc_macro;

mod ast;
mod attr;
mod auth;
mod errors;
mod expand;
mod valid;

use proc_macro::TokenStream;
use quote::ToTokens;

/// Declares an MCP server on an impl block. See `fastmcp`'s crate docs.
#[proc_macro_attribute]
pub fn mcp_server(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item2: proc_macro2::TokenStream = item.clone().into();
    let parsed: syn::ItemImpl = match syn::parse2(item2.clone()) {
        Ok(i) => i,
        Err(e) => {
            let mut out = syn::Error::new(
                e.span(),
                "`#[mcp_server]` goes on an `impl` block: `#[mcp_server] impl MyServer { ... }`",
            )
            .to_compile_error();
            out.extend(item2);
            return out.into();
        }
    };
    let mut errors = errors::Errors::default();
    let server = ast::ServerImpl::parse(attr.into(), parsed, &mut errors);
    valid::validate(&server, &mut errors);
    match errors.finish() {
        Ok(()) => expand::expand(&server).into(),
        Err(mut e) => {
            // Keep the user's methods visible to the compiler and IDE.
            server.item.to_tokens(&mut e);
            e.into()
        }
    }
}

fn outside(kind: &str, item: TokenStream) -> TokenStream {
    let item: proc_macro2::TokenStream = item.into();
    let mut out = syn::Error::new(
        proc_macro2::Span::call_site(),
        format!("`#[{kind}]` only works on a method inside an impl block marked `#[mcp_server]`: add `#[mcp_server(name = \"...\")]` to the impl block"),
    )
    .to_compile_error();
    out.extend(item);
    out.into()
}

/// Marks a method of an `#[mcp_server]` impl block as a tool.
#[proc_macro_attribute]
pub fn tool(_attr: TokenStream, item: TokenStream) -> TokenStream {
    outside("tool", item)
}

/// Marks a method of an `#[mcp_server]` impl block as a resource (`uri = "..."`).
#[proc_macro_attribute]
pub fn resource(_attr: TokenStream, item: TokenStream) -> TokenStream {
    outside("resource", item)
}

/// Marks a method of an `#[mcp_server]` impl block as a prompt.
#[proc_macro_attribute]
pub fn prompt(_attr: TokenStream, item: TokenStream) -> TokenStream {
    outside("prompt", item)
}
