//! Compile-time errors of the macros, each with its expected message (`tests/ui/*.stderr`),
//! plus a server using every accepted form that must compile.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
    t.pass("ui/pass/*.rs");
}
