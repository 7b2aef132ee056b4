//! All randomness for tokens, codes, salts and passwords.

/// Fills an array from the OS CSPRNG. If the OS cannot provide randomness the
/// process must not go on issuing secrets, so this aborts rather than
/// returning something guessable.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if let Err(e) = getrandom::fill(&mut buf) {
        eprintln!("fatal: the operating system's random number generator failed: {e}");
        std::process::abort();
    }
    buf
}

/// 128 random bits as 32 lower-case hex characters.
pub fn hex_128() -> String {
    hex::encode(bytes::<16>())
}

/// 256 random bits as 64 lower-case hex characters.
pub fn hex_256() -> String {
    hex::encode(bytes::<32>())
}

const PASSWORD_ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A generated password: 20 characters without look-alikes (~117 bits).
pub fn password() -> String {
    let raw = bytes::<40>();
    raw.iter()
        .filter_map(|b| {
            // Rejection sampling keeps the distribution uniform.
            let limit = 256 - (256 % PASSWORD_ALPHABET.len());
            ((*b as usize) < limit)
                .then(|| PASSWORD_ALPHABET[*b as usize % PASSWORD_ALPHABET.len()] as char)
        })
        .chain(std::iter::repeat_with(|| {
            PASSWORD_ALPHABET[bytes::<1>()[0] as usize % PASSWORD_ALPHABET.len()] as char
        }))
        .take(20)
        .collect()
}
