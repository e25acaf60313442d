//! The 44-character access key of Brazil's fiscal documents (NF-e, NFC-e; CT-e and MDF-e use
//! the same layout): its shape and SEFAZ's mod-11 check digit. One rule wherever a key is
//! read: an XML's, an event's, a key found on a printout or in its barcode.

/// Whether `key` is an access key batchimp takes as valid: the shape [`check_key`] requires
/// (44 characters, letters only in the CNPJ) and a right check digit. The one rule for a key,
/// read from an XML or found on a printout (`pdf::find`): SEFAZ's code of the UF, the month
/// and the model are not checked on either side, so a key the XML importer accepts is found
/// on its DANFE too.
pub fn is_valid_key(key: &str) -> bool {
    is_key_shape(key) && check_digit_ok(key)
}

/// Positions 7-18 (the CNPJ's root and branch) may hold A-Z from the 2026 alphanumeric CNPJ;
/// every other position, the CNPJ's own check digits included, is a digit.
pub fn is_key_shape(key: &str) -> bool {
    key.len() == 44
        && key
            .bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || ((6..18).contains(&i) && b.is_ascii_uppercase()))
}

/// The mod-11 check digit SEFAZ computes over the first 43 characters of an access key: weights
/// 2..9 from the right, repeating; a remainder of 0 or 1 gives 0. A character counts as its
/// ASCII code minus 48 (digits as themselves, `A` as 17), the rule for alphanumeric CNPJ.
pub fn check_digit(first43: &str) -> u8 {
    let sum: u32 = first43
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b.wrapping_sub(b'0')) * (2 + (i as u32 % 8)))
        .sum();
    match sum % 11 {
        0 | 1 => 0,
        r => (11 - r) as u8,
    }
}

/// Whether a 44-character key's last digit is its check digit.
pub fn check_digit_ok(key: &str) -> bool {
    key.len() == 44 && check_digit(&key[..43]) == key.as_bytes()[43].wrapping_sub(b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_matches_sefaz_examples() {
        // Keys from authorized documents (their protocols prove SEFAZ accepted them).
        assert!(check_digit_ok(
            "35180834128745000152550010000474281920007498"
        ));
        assert!(check_digit_ok(
            "42220575277525000178550030000292481295366801"
        ));
        assert!(!check_digit_ok(
            "42220575277525000178550030000292481295366802"
        ));
    }
}
