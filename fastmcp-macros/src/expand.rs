//! Code generation: the impl block as written, plus an `impl McpServer` whose body is a chain
//! of public builder calls (`Server::builder(..).tool(ToolDef::new(..)...)`).

use crate::ast::{Kind, Member, Param, ServerImpl};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

fn opt_call(method: &str, value: Option<&String>) -> TokenStream {
    let m = syn::Ident::new(method, proc_macro2::Span::call_site());
    value.map(|v| quote!(.#m(#v))).unwrap_or_default()
}

pub fn expand(server: &ServerImpl) -> TokenStream {
    let item = &server.item;
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let attr = &server.attr;
    let name = match &attr.name {
        Some(n) => n.value.clone(),
        None => quote!(#self_ty).to_string().replace(' ', ""),
    };
    let version = match &attr.version {
        Some(v) => {
            let v = &v.value;
            quote!(#v)
        }
        None => quote!(::core::env!("CARGO_PKG_VERSION")),
    };
    let title = opt_call("title", attr.title.as_ref().map(|s| &s.value));
    let instructions = opt_call("instructions", attr.instructions.as_ref().map(|s| &s.value));
    let auth = attr.auth.as_ref().map(|a| {
        let config = crate::auth::expand(a);
        quote!(.auth(#config))
    });
    let members = server.members.iter().map(member);
    let checks = server.members.iter().map(type_checks);

    quote! {
        #item

        impl #impl_generics ::fastmcp::McpServer for #self_ty #where_clause {
            fn server_builder(self: ::std::sync::Arc<Self>) -> ::fastmcp::ServerBuilder {
                #[allow(unused_imports)]
                use ::fastmcp::__private::{
                    ContentShape as _, DisplayFailure as _, IntoContent as _, IntoPromptResult as _,
                    IntoResourceContents as _, IntoSerialized as _, ProtocolFailure as _, SchemaShape as _,
                    TextShape as _, Unconvertible as _,
                };
                #[allow(dead_code)]
                fn assert_output_types() {
                    #(#checks)*
                }
                ::fastmcp::Server::builder(#name)
                    .version(#version)
                    #title
                    #instructions
                    #auth
                    #(#members)*
            }
        }
    }
}

/// Return-type checks spanned on the type, so a bad type is reported there.
fn type_checks(m: &Member) -> TokenStream {
    match m.kind {
        Kind::Tool(_) => {
            let out_ty = &m.output;
            quote_spanned!(out_ty.span()=> ::fastmcp::__private::assert_tool_output::<#out_ty>();)
        }
        _ => TokenStream::new(),
    }
}

/// `let <name> = ToolArg::<T>::new("<name>", required);` for each argument (spanned on its
/// type: that is where an unsupported type is reported).
fn arg_specs(m: &Member) -> TokenStream {
    let spec = match m.kind {
        Kind::Tool(_) => quote!(ToolArg),
        _ => quote!(StringArg),
    };
    m.args()
        .map(|a| {
            let (ident, ty, key, required) = (&a.ident, &a.ty, &a.key, !a.optional);
            let describe = match (&m.kind, &a.description) {
                (Kind::Tool(_), Some(d)) => quote!(.description(#d)),
                _ => quote!(),
            };
            quote_spanned!(ty.span()=> let #ident = ::fastmcp::__private::#spec::<#ty>::new(#key, #required) #describe;)
        })
        .collect()
}

/// `this.method(args…)` with `.await` when async.
fn call(m: &Member) -> TokenStream {
    let ident = &m.ident;
    let args = m.params.iter().map(|p| match p {
        Param::Context => quote!(&ctx),
        Param::Arg(a) => {
            let ident = &a.ident;
            quote!(#ident)
        }
    });
    let target = if m.has_receiver { quote!(this.#ident) } else { quote!(Self::#ident) };
    let await_ = if m.is_async { quote!(.await) } else { quote!() };
    quote!(#target(#(#args),*)#await_)
}

/// `let <name> = <name>.take(&mut args)?;` for each argument.
fn takes(m: &Member) -> TokenStream {
    m.args()
        .map(|a| {
            let ident = &a.ident;
            quote!(let #ident = #ident.take(&mut args)?;)
        })
        .collect()
}

fn closure_params(m: &Member) -> (TokenStream, TokenStream) {
    let ctx = if m.takes_context() { quote!(ctx) } else { quote!(_ctx) };
    let args = if m.args().next().is_some() { quote!(mut args) } else { quote!(_args) };
    (ctx, args)
}

fn this(m: &Member) -> (TokenStream, TokenStream) {
    if m.has_receiver {
        (quote!(let this = ::std::sync::Arc::clone(&self);), quote!(let this = ::std::sync::Arc::clone(&this);))
    } else {
        (quote!(), quote!())
    }
}

/// `.scopes(["a", "b"])` when the item declares scopes.
fn scopes(m: &Member) -> TokenStream {
    let list = m.scopes();
    if list.is_empty() { TokenStream::new() } else { quote!(.scopes([#(#list),*])) }
}

fn member(m: &Member) -> TokenStream {
    match &m.kind {
        Kind::Tool(a) => tool(m, a),
        Kind::Resource(a) => resource(m, a),
        Kind::Prompt(a) => prompt(m, a),
    }
}

fn tool(m: &Member, a: &crate::attr::ToolAttr) -> TokenStream {
    let (name, _) = m.name();
    let description = a.description.as_ref().map(|d| d.value.clone()).or_else(|| m.docs.clone());
    let description = opt_call("description", description.as_ref());
    let title = opt_call("title", a.title.as_ref().map(|s| &s.value));
    let schema_args = m.args().map(|a| {
        let ident = &a.ident;
        quote!(.arg(&#ident))
    });
    let annotations = a.annotations.as_ref().map(|ann| {
        let field = |name: &str, v: &Option<crate::attr::Spanned<bool>>| {
            let f = syn::Ident::new(name, proc_macro2::Span::call_site());
            v.as_ref().map(|v| {
                let b = v.value;
                quote!(#f: ::core::option::Option::Some(#b),)
            })
        };
        let title = ann.title.as_ref().map(|t| {
            let t = &t.value;
            quote!(title: ::core::option::Option::Some(::std::string::String::from(#t)),)
        });
        let fields = [
            field("read_only_hint", &ann.read_only),
            field("destructive_hint", &ann.destructive),
            field("idempotent_hint", &ann.idempotent),
            field("open_world_hint", &ann.open_world),
        ];
        quote!(.annotations(::fastmcp::ToolAnnotations { #title #(#fields)* ..::core::default::Default::default() }))
    });
    let output_ty = &m.output;
    let (ctx, args) = closure_params(m);
    let (this_outer, this_inner) = this(m);
    let takes = takes(m);
    let specs = arg_specs(m);
    let scopes = scopes(m);
    let call = call(m);
    let convert = quote!((&&&::fastmcp::__private::Returned::new(value)).into_call_tool_result(&output));
    let body = if m.returns_result {
        quote! {
            match #call {
                ::core::result::Result::Ok(value) => ::core::result::Result::Ok(#convert),
                ::core::result::Result::Err(error) => (&&::fastmcp::__private::Failure::new(error)).into_outcome(),
            }
        }
    } else {
        quote! {
            let value = #call;
            ::core::result::Result::Ok(#convert)
        }
    };
    quote! {
        .tool({
            #this_outer
            #specs
            let output = (&&&::fastmcp::__private::Shape::<#output_ty>::new()).output_shape();
            ::fastmcp::ToolDef::new(#name)
                #title
                #description
                .input_schema(::fastmcp::__private::InputSchema::new() #(#schema_args)* .build())
                .output_schema(output.schema())
                #annotations
                #scopes
                .handler(move |#ctx, #args| {
                    #this_inner
                    let output = output.clone();
                    async move {
                        #takes
                        #body
                    }
                })
        })
    }
}

fn resource(m: &Member, a: &crate::attr::ResourceAttr) -> TokenStream {
    let Some(uri) = &a.uri else { return TokenStream::new() };
    let uri = &uri.value;
    let (name, _) = m.name();
    let description = a.description.as_ref().map(|d| d.value.clone()).or_else(|| m.docs.clone());
    let description = opt_call("description", description.as_ref());
    let title = opt_call("title", a.title.as_ref().map(|s| &s.value));
    let mime = a.mime_type.as_ref().map(|s| s.value.clone());
    let mime_call = opt_call("mime_type", mime.as_ref());
    let mime_value = match &mime {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let (ctx, args) = closure_params(m);
    let (this_outer, this_inner) = this(m);
    let takes = takes(m);
    let specs = arg_specs(m);
    let scopes = scopes(m);
    let call = call(m);
    let is_template = m.args().next().is_some() || uri.contains('{');
    let def = if is_template {
        quote!(::fastmcp::ResourceTemplateDef::new(#uri, #name).expect("URI template validated by #[mcp_server]"))
    } else {
        quote!(::fastmcp::ResourceDef::new(#uri, #name))
    };
    let register = if is_template { quote!(resource_template) } else { quote!(resource) };
    quote! {
        .#register({
            #this_outer
            #specs
            #def
                #title
                #description
                #mime_call
                #scopes
                .handler(move |#ctx, uri, #args| {
                    #this_inner
                    async move {
                        #takes
                        #call.into_resource_contents(&uri, #mime_value)
                    }
                })
        })
    }
}

fn prompt(m: &Member, a: &crate::attr::PromptAttr) -> TokenStream {
    let (name, _) = m.name();
    let description = a.description.as_ref().map(|d| d.value.clone()).or_else(|| m.docs.clone());
    let description_call = opt_call("description", description.as_ref());
    let description_value = match &description {
        Some(d) => quote!(::core::option::Option::Some(#d)),
        None => quote!(::core::option::Option::None),
    };
    let title = opt_call("title", a.title.as_ref().map(|s| &s.value));
    let arguments = m.args().map(|a| {
        let (key, required) = (&a.key, !a.optional);
        let description = match &a.description {
            Some(d) => quote!(::core::option::Option::Some(#d)),
            None => quote!(::core::option::Option::None),
        };
        quote!(.argument(#key, #description, #required))
    });
    let (ctx, args) = closure_params(m);
    let (this_outer, this_inner) = this(m);
    let takes = takes(m);
    let specs = arg_specs(m);
    let scopes = scopes(m);
    let call = call(m);
    quote! {
        .prompt({
            #this_outer
            #specs
            ::fastmcp::PromptDef::new(#name)
                #title
                #description_call
                #(#arguments)*
                #scopes
                .handler(move |#ctx, #args| {
                    #this_inner
                    async move {
                        #takes
                        #call.into_prompt_result(#description_value)
                    }
                })
        })
    }
}
