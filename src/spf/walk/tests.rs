use super::*;

#[test]
fn boundaries() {
    let strings = vec![
        b"v=spf1 include:_spf.goo".to_vec(),
        b"gle.com -all".to_vec(),
    ];
    assert!(string_boundary_in(&strings, 7, 25));
    assert!(!string_boundary_in(&strings, 33, 4));
    assert!(!string_boundary_in(&[b"v=spf1 -all".to_vec()], 7, 4));
}
