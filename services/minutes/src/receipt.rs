//! Receipt codes: what the secretary hands a citizen for a petition, and what
//! the public status page finds it by. Ten characters of Crockford's base32
//! (50 random bits, from the operating system's generator), printed in two
//! groups of five; read back forgivingly, as people copy codes off paper.

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LENGTH: usize = 10;

/// A fresh code: 50 bits of a version-4 UUID's random bytes.
pub fn new_code() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    // Bytes 0..6 are wholly random in a v4 UUID (6 and 8 carry version and variant).
    let bits = bytes[..6].iter().chain(&bytes[9..11]).fold(0u64, |acc, b| acc << 8 | u64::from(*b));
    encode(bits)
}

/// The low 50 bits as `XXXXX-XXXXX`.
pub fn encode(bits: u64) -> String {
    let mut code = String::with_capacity(LENGTH + 1);
    for i in (0..LENGTH).rev() {
        code.push(char::from(ALPHABET[(bits >> (5 * i) & 31) as usize]));
        if i == LENGTH / 2 {
            code.push('-');
        }
    }
    code
}

/// A code as typed, in its printed form; `None` when it cannot be one. Case,
/// spaces and dashes do not matter, and the letters people mistake for
/// digits (O, I, L) read as those digits, as Crockford's base32 has it.
pub fn parse(text: &str) -> Option<String> {
    let mut bits = 0u64;
    let mut count = 0;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '-') {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        let value = ALPHABET.iter().position(|a| char::from(*a) == c)?;
        count += 1;
        if count > LENGTH {
            return None;
        }
        bits = bits << 5 | value as u64;
    }
    (count == LENGTH).then(|| encode(bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_two_groups_of_five_and_reads_back() {
        let code = new_code();
        assert_eq!(code.len(), 11);
        assert_eq!(&code[5..6], "-");
        assert_eq!(parse(&code).as_deref(), Some(code.as_str()));
    }

    #[test]
    fn codes_differ() {
        let codes: std::collections::HashSet<String> = (0..1000).map(|_| new_code()).collect();
        assert_eq!(codes.len(), 1000);
    }

    #[test]
    fn a_code_copied_off_paper_is_read_forgivingly() {
        let code = encode(0x0123_4567_89AB);
        assert_eq!(parse(&code.to_lowercase().replace('-', " ")).as_deref(), Some(code.as_str()));
        assert_eq!(parse("0O1IL-00000").as_deref(), Some("00111-00000"));
    }

    #[test]
    fn what_cannot_be_a_code_is_none() {
        for text in ["", "ABCDE", "ABCDE-FGHJKM", "ABCDE-FGHJU", "ABCDE-FGHJ!"] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
