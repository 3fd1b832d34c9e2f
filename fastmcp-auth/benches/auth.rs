//! Per-request costs of auth: JWT verification cold (signature checked), warm (verified-token
//! cache hit) and warm on a kept-alive connection (the `ConnectionMemo` supplies the digest) for
//! RS256, ES256 and EdDSA; an API-key lookup; a scope check; challenge rendering.
//! Keys are generated at start-up (nothing secret is stored in the repository).
//!
//! `cargo bench -p fastmcp-auth --bench auth` (add `-- --quick` for a fast run).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use fastmcp_auth::{ApiKeys, Challenge, ConnectionMemo, JwtVerifier, ScopeSet, TokenVerifier, now_unix};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;
use std::hint::black_box;

const AUD: &str = "http://127.0.0.1:8000/mcp";

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// (encoding key, public JWK) for an algorithm.
fn keypair(alg: Algorithm) -> (EncodingKey, serde_json::Value) {
    let rng = SystemRandom::new();
    match alg {
        Algorithm::RS256 => {
            let kp = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
            let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&kp).unwrap();
            let pem = format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref())
            );
            let public = kp.public_key();
            let jwk = json!({"kty":"RSA","kid":"k","n":b64(public.modulus().big_endian_without_leading_zero()),"e":b64(public.exponent().big_endian_without_leading_zero())});
            (EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(), jwk)
        }
        Algorithm::ES256 => {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
            let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
            let p = kp.public_key().as_ref();
            (
                EncodingKey::from_ec_der(pkcs8.as_ref()),
                json!({"kty":"EC","crv":"P-256","kid":"k","x":b64(&p[1..33]),"y":b64(&p[33..65])}),
            )
        }
        _ => {
            let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
            let kp = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
            (
                EncodingKey::from_ed_der(pkcs8.as_ref()),
                json!({"kty":"OKP","crv":"Ed25519","kid":"k","x":b64(kp.public_key().as_ref())}),
            )
        }
    }
}

fn token(key: &EncodingKey, alg: Algorithm, n: u64) -> String {
    let mut h = Header::new(alg);
    h.kid = Some("k".into());
    let claims = json!({"sub": format!("user{n}"), "aud": AUD, "iss": "https://issuer.test", "exp": now_unix() + 3600, "scope": "notes:read notes:write"});
    encode(&h, &claims, key).unwrap()
}

fn jwt(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    for (name, alg) in [("RS256", Algorithm::RS256), ("ES256", Algorithm::ES256), ("EdDSA", Algorithm::EdDSA)] {
        let (key, jwk) = keypair(alg);
        let build = |cache: usize| {
            JwtVerifier::builder()
                .public_key(jwk.to_string())
                .issuer("https://issuer.test")
                .audience(AUD)
                .cache_capacity(cache)
                .build()
                .unwrap()
        };
        let cold = build(0);
        let warm = build(10_000);
        let t = token(&key, alg, 1);
        rt.block_on(warm.verify(&t)).unwrap();
        c.bench_function(&format!("jwt/{name}/cold"), |b| b.iter(|| rt.block_on(cold.verify(black_box(&t))).unwrap()));
        c.bench_function(&format!("jwt/{name}/warm"), |b| b.iter(|| rt.block_on(warm.verify(black_box(&t))).unwrap()));
        // What `BearerGuard` does on a kept-alive connection: the memo supplies the digest.
        let connection = ConnectionMemo::new();
        let first = connection.present(&t);
        rt.block_on(warm.verify_presented(&first)).unwrap();
        connection.remember(&first);
        c.bench_function(&format!("jwt/{name}/warm, same connection"), |b| {
            b.iter(|| {
                let presented = connection.present(black_box(&t));
                rt.block_on(warm.verify_presented(&presented)).unwrap()
            })
        });
    }
}

fn api_keys(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let mut keys = ApiKeys::new();
    for i in 0..1000 {
        keys = keys.key(&format!("api-key-{i:04}-0123456789abcdef"), format!("bot{i}"), ScopeSet::parse("a b"), None);
    }
    c.bench_function("api_keys/lookup (1000 keys)", |b| {
        b.iter(|| rt.block_on(keys.verify(black_box("api-key-0500-0123456789abcdef"))).unwrap())
    });
}

fn scopes_and_challenges(c: &mut Criterion) {
    let granted = ScopeSet::parse("notes:read notes:write profile email");
    let needed = ScopeSet::parse("notes:write");
    c.bench_function("scope/contains_all", |b| b.iter(|| black_box(&granted).contains_all(black_box(&needed))));
    let ch = Challenge::insufficient_scope(granted.union(&needed))
        .resource_metadata("https://notes.example.com/.well-known/oauth-protected-resource/mcp");
    c.bench_function("challenge/render insufficient_scope", |b| b.iter(|| black_box(&ch).to_string()));
}

fn digests(c: &mut Criterion) {
    let token = "x".repeat(800);
    c.bench_function("sha256/800 bytes (fastmcp_auth::sha256)", |b| {
        b.iter(|| fastmcp_auth::sha256(black_box(token.as_bytes())))
    });
    c.bench_function("sha256/800 bytes (aws-lc-rs)", |b| {
        b.iter(|| aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, black_box(token.as_bytes())))
    });
}

criterion_group!(benches, jwt, api_keys, scopes_and_challenges, digests);
criterion_main!(benches);
