pub fn parse(
    _text: &str,
    file: &str,
    _origin: Option<&str>,
) -> Result<super::zone::Zone, super::zone::ZoneError> {
    Err(super::zone::ZoneError {
        file: file.into(),
        line: 1,
        column: 1,
        message: "zone parser not written yet".into(),
    })
}
