//! ES256 (ECDSA over P-256 with SHA-256) signature checks with a table
//! precomputed per public key, for keys that sign again and again: a DPoP
//! client signs every token request with the same key.
//!
//! A check computes `u1·G + u2·Q` (RFC 6090 / FIPS 186 ECDSA verification).
//! aws-lc multiplies the generator `G` with a precomputed table but the
//! public key `Q` with a fixed window: 256 point doublings per check, most
//! of its cost. With a table of `d·16^i·Q` (64 windows of 15 points, 60 KiB
//! per key) `u2·Q` is 64 point additions and no doubling; `u1·G` uses a
//! table of `d·256^i·G` (32 windows of 255 points, built once per
//! process). Measured on the 2-core build machine, one thread
//! (`cargo bench --bench signing`): 48 µs per check through aws-lc-rs,
//! 19 µs with the tables; building a key's table takes 295 µs.
//!
//! The field and point arithmetic is aws-lc's own P-256 assembly (the
//! `ecp_nistz256_*` routines its ECDSA uses, linked into every build by
//! aws-lc-sys); this module only arranges the tables and the scalar side.
//! Their names carry aws-lc-sys's version prefix, so a version bump breaks
//! the link, never the math. Only on x86_64 (the one architecture this
//! was tested on; aws-lc builds the same routines for aarch64, untried
//! here); elsewhere [`supported`] is false and callers keep to aws-lc-rs.
//!
//! Every input here is public (keys, messages, signatures), so nothing
//! needs to run in constant time.
//!
//! Conventions: numbers are four little-endian 64-bit limbs; field elements
//! (mod p) are in Montgomery form `x·2^256 mod p` unless named otherwise;
//! points are Jacobian `(X, Y, Z)` with `Z = 0` for the point at infinity.

use sha2::{Digest, Sha256};

type Limbs = [u64; 4];

/// The field prime p.
const P: Limbs = [
    0xffffffffffffffff,
    0x00000000ffffffff,
    0x0000000000000000,
    0xffffffff00000001,
];
/// The group order n.
const N: Limbs = [
    0xf3b9cac2fc632551,
    0xbce6faada7179e84,
    0xffffffffffffffff,
    0xffffffff00000000,
];
/// 2^512 mod p and mod n: multiplying by them enters Montgomery form.
const RR_P: Limbs = [
    0x0000000000000003,
    0xfffffffbffffffff,
    0xfffffffffffffffe,
    0x00000004fffffffd,
];
const RR_N: Limbs = [
    0x83244c95be79eea2,
    0x4699799c49bd6fa6,
    0x2845b2392b6bec59,
    0x66e12d94f3d95620,
];
/// 1 in Montgomery form, mod p and mod n.
const ONE_P: Limbs = [
    0x0000000000000001,
    0xffffffff00000000,
    0xffffffffffffffff,
    0x00000000fffffffe,
];
const ONE_N: Limbs = [
    0x0c46353d039cdaaf,
    0x4319055258e8617b,
    0x0000000000000000,
    0x00000000ffffffff,
];
/// Exponents of Fermat inversion.
const P_MINUS_2: Limbs = [
    0xfffffffffffffffd,
    0x00000000ffffffff,
    0x0000000000000000,
    0xffffffff00000001,
];
const N_MINUS_2: Limbs = [
    0xf3b9cac2fc63254f,
    0xbce6faada7179e84,
    0xffffffffffffffff,
    0xffffffff00000000,
];
/// p − n: an x coordinate below it may stand for r or r + n.
const P_MINUS_N: Limbs = [0x0c46353d039cdaae, 0x4319055358e8617b, 0, 0];
/// The generator's affine coordinates (SEC 2), not in Montgomery form.
const GX: Limbs = [
    0xf4a13945d898c296,
    0x77037d812deb33a0,
    0xf8bce6e563a440f2,
    0x6b17d1f2e12c4247,
];
const GY: Limbs = [
    0xcbb6406837bf51f5,
    0x2bce33576b315ece,
    0x8ee7eb4a7c0f9e16,
    0x4fe342e2fe1a7f9b,
];

/// Bits per window of the key tables and of the generator's table.
const KEY_WINDOW_BITS: usize = 4;
const G_WINDOW_BITS: usize = 8;

/// The SEC1 uncompressed encoding of a public key: `04 || x || y`.
pub const UNCOMPRESSED_LEN: usize = 65;

/// Whether this build has the fast path.
pub const fn supported() -> bool {
    cfg!(target_arch = "x86_64")
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Jacobian {
    x: Limbs,
    y: Limbs,
    z: Limbs,
}

/// An affine point; all zeros stands for infinity (never stored in tables).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Affine {
    x: Limbs,
    y: Limbs,
}

#[cfg(target_arch = "x86_64")]
mod asm {
    use super::{Affine, Jacobian, Limbs};

    // aws-lc's P-256 routines (crypto/fipsmodule/ec/p256-nistz.h), as
    // exported by aws-lc-sys 0.47 with its symbol prefix. They read
    // fully reduced inputs and write fully reduced outputs; the output may
    // alias an input.
    unsafe extern "C" {
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_mul_mont"]
        fn ecp_nistz256_mul_mont(res: *mut u64, a: *const u64, b: *const u64);
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_ord_mul_mont"]
        fn ecp_nistz256_ord_mul_mont(res: *mut u64, a: *const u64, b: *const u64);
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_ord_sqr_mont"]
        fn ecp_nistz256_ord_sqr_mont(res: *mut u64, a: *const u64, rep: u64);
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_point_double"]
        fn ecp_nistz256_point_double(r: *mut Jacobian, a: *const Jacobian);
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_point_add"]
        fn ecp_nistz256_point_add(r: *mut Jacobian, a: *const Jacobian, b: *const Jacobian);
        #[link_name = "aws_lc_0_47_0_ecp_nistz256_point_add_affine"]
        fn ecp_nistz256_point_add_affine(r: *mut Jacobian, a: *const Jacobian, b: *const Affine);
    }

    // SAFETY (all below): each routine reads and writes exactly the
    // fixed-size values behind its pointers (four limbs, or one point),
    // which are valid, initialised Rust values owned by the caller.

    /// a·b·2^-256 mod p.
    pub fn mul(a: &Limbs, b: &Limbs) -> Limbs {
        let mut out = [0u64; 4];
        unsafe { ecp_nistz256_mul_mont(out.as_mut_ptr(), a.as_ptr(), b.as_ptr()) };
        out
    }

    /// a·b·2^-256 mod n.
    pub fn ord_mul(a: &Limbs, b: &Limbs) -> Limbs {
        let mut out = [0u64; 4];
        unsafe { ecp_nistz256_ord_mul_mont(out.as_mut_ptr(), a.as_ptr(), b.as_ptr()) };
        out
    }

    /// `a` squared `times` times in Montgomery form mod n.
    pub fn ord_sqr(a: &Limbs, times: u64) -> Limbs {
        let mut out = [0u64; 4];
        unsafe { ecp_nistz256_ord_sqr_mont(out.as_mut_ptr(), a.as_ptr(), times) };
        out
    }

    pub fn double(a: &Jacobian) -> Jacobian {
        let mut out = Jacobian::default();
        unsafe { ecp_nistz256_point_double(&mut out, a) };
        out
    }

    /// a + b for any two points, equal, opposite or infinite ones included.
    pub fn add(a: &Jacobian, b: &Jacobian) -> Jacobian {
        let mut out = Jacobian::default();
        unsafe { ecp_nistz256_point_add(&mut out, a, b) };
        out
    }

    /// a + b where b is affine: right for a = infinity, not for a = ±b
    /// (callers make sure that cannot happen).
    pub fn add_affine(a: &Jacobian, b: &Affine) -> Jacobian {
        let mut out = Jacobian::default();
        unsafe { ecp_nistz256_point_add_affine(&mut out, a, b) };
        out
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod asm {
    //! Never called: [`super::supported`] is false on these targets and
    //! [`super::KeyTable::new`] refuses to build a table.
    use super::{Affine, Jacobian, Limbs};
    pub fn mul(_: &Limbs, _: &Limbs) -> Limbs {
        [0; 4]
    }
    pub fn ord_mul(_: &Limbs, _: &Limbs) -> Limbs {
        [0; 4]
    }
    pub fn ord_sqr(_: &Limbs, _: u64) -> Limbs {
        [0; 4]
    }
    pub fn double(_: &Jacobian) -> Jacobian {
        Jacobian::default()
    }
    pub fn add(_: &Jacobian, _: &Jacobian) -> Jacobian {
        Jacobian::default()
    }
    pub fn add_affine(_: &Jacobian, _: &Affine) -> Jacobian {
        Jacobian::default()
    }
}

/// A precomputed table of one public key: `table[i·15 + d − 1] = d·16^i·Q`.
pub struct KeyTable {
    points: Vec<Affine>,
}

impl KeyTable {
    /// The table of a SEC1 uncompressed P-256 point. Only for a key that
    /// aws-lc already accepted (it checks the point is on the curve); None
    /// when the encoding is not 65 bytes or the fast path is unsupported.
    pub fn new(uncompressed: &[u8]) -> Option<KeyTable> {
        if !supported() || uncompressed.len() != UNCOMPRESSED_LEN || uncompressed[0] != 0x04 {
            return None;
        }
        let x = from_be_bytes(&uncompressed[1..33]);
        let y = from_be_bytes(&uncompressed[33..65]);
        if !less_than(&x, &P) || !less_than(&y, &P) {
            return None;
        }
        Some(KeyTable {
            points: comb_table(&affine_to_montgomery(&x, &y), KEY_WINDOW_BITS),
        })
    }

    /// Whether `signature` (the 64-byte `r || s` of JWS) over `message` is
    /// a valid ES256 signature by this table's key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        if signature.len() != 64 {
            return false;
        }
        let r = from_be_bytes(&signature[..32]);
        let s = from_be_bytes(&signature[32..]);
        if is_zero(&r) || is_zero(&s) || !less_than(&r, &N) || !less_than(&s, &N) {
            return false;
        }
        let digest = Sha256::digest(message);
        let mut e = from_be_bytes(&digest);
        if !less_than(&e, &N) {
            e = subtract(&e, &N);
        }
        // w = s⁻¹ (Montgomery form), u1 = e·w, u2 = r·w (plain form).
        let w = ord_inverse(&asm::ord_mul(&s, &RR_N));
        let u1 = asm::ord_mul(&e, &w);
        let u2 = asm::ord_mul(&r, &w);
        // Each comb sums multiples of one base whose partial sums stay
        // below the next term (scalars are below n), so its affine
        // additions never meet an equal or opposite point; the two halves
        // are joined with the complete addition.
        let point = asm::add(
            &comb(generator_table(), G_WINDOW_BITS, &u1),
            &comb(&self.points, KEY_WINDOW_BITS, &u2),
        );
        x_coordinate_matches(&point, &r)
    }
}

/// `d·2^(w·i)·base` for every window `i` and digit `d` in 1..2^w, affine.
fn comb_table(base: &Jacobian, window_bits: usize) -> Vec<Affine> {
    let per_window = (1usize << window_bits) - 1;
    let windows = 256usize.div_ceil(window_bits);
    let mut points = Vec::with_capacity(windows * per_window);
    let mut window_base = *base;
    for _ in 0..windows {
        // d·B for d = 1..2^w − 1: none of them is infinity (d·2^(w·i) < n).
        points.push(window_base);
        points.push(asm::double(&window_base));
        for _ in 3..=per_window {
            let next = asm::add(&points[points.len() - 1], &window_base);
            points.push(next);
        }
        for _ in 0..window_bits {
            window_base = asm::double(&window_base);
        }
    }
    to_affine(&points)
}

/// Jacobian points (none at infinity) to affine, with one field inversion
/// for all of them (Montgomery's trick).
fn to_affine(points: &[Jacobian]) -> Vec<Affine> {
    let mut prefix = Vec::with_capacity(points.len());
    let mut running = ONE_P;
    for point in points {
        running = asm::mul(&running, &point.z);
        prefix.push(running);
    }
    let mut inverse = field_inverse(&running);
    let mut affine = vec![Affine::default(); points.len()];
    for (i, point) in points.iter().enumerate().rev() {
        let z_inverse = if i == 0 {
            inverse
        } else {
            asm::mul(&inverse, &prefix[i - 1])
        };
        inverse = asm::mul(&inverse, &point.z);
        let z2 = asm::mul(&z_inverse, &z_inverse);
        let z3 = asm::mul(&z2, &z_inverse);
        affine[i] = Affine {
            x: asm::mul(&point.x, &z2),
            y: asm::mul(&point.y, &z3),
        };
    }
    affine
}

/// Σ table[i][digit_i(scalar)] over the windows.
fn comb(table: &[Affine], window_bits: usize, scalar: &Limbs) -> Jacobian {
    let per_window = (1usize << window_bits) - 1;
    let mask = per_window as u64;
    let mut sum = Jacobian::default();
    for window in 0..256 / window_bits {
        let bit = window * window_bits;
        let digit = ((scalar[bit / 64] >> (bit % 64)) & mask) as usize;
        if digit != 0 {
            sum = asm::add_affine(&sum, &table[window * per_window + digit - 1]);
        }
    }
    sum
}

/// The generator's table, built once per process (32 × 255 points, 510 KiB,
/// a few milliseconds).
fn generator_table() -> &'static [Affine] {
    static TABLE: std::sync::OnceLock<Vec<Affine>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| comb_table(&affine_to_montgomery(&GX, &GY), G_WINDOW_BITS))
}

fn affine_to_montgomery(x: &Limbs, y: &Limbs) -> Jacobian {
    Jacobian {
        x: asm::mul(x, &RR_P),
        y: asm::mul(y, &RR_P),
        z: ONE_P,
    }
}

/// Whether the affine x of `point` is r mod n: X = r·Z² or (r + n)·Z²,
/// without an inversion.
fn x_coordinate_matches(point: &Jacobian, r: &Limbs) -> bool {
    if is_zero(&point.z) {
        return false;
    }
    let z2 = asm::mul(&point.z, &point.z);
    // Plain r times Montgomery Z² is plain r·Z²; X leaves Montgomery form
    // when multiplied by plain 1.
    let x = asm::mul(&point.x, &[1, 0, 0, 0]);
    if asm::mul(r, &z2) == x {
        return true;
    }
    less_than(r, &P_MINUS_N) && asm::mul(&add_small(r, &N), &z2) == x
}

/// a⁻¹ mod p in Montgomery form, as a^(p−2).
fn field_inverse(a: &Limbs) -> Limbs {
    power(a, &P_MINUS_2, &ONE_P, asm::mul, |x| {
        let x = asm::mul(x, x);
        let x = asm::mul(&x, &x);
        let x = asm::mul(&x, &x);
        asm::mul(&x, &x)
    })
}

/// a⁻¹ mod n in Montgomery form, as a^(n−2).
fn ord_inverse(a: &Limbs) -> Limbs {
    power(a, &N_MINUS_2, &ONE_N, asm::ord_mul, |x| asm::ord_sqr(x, 4))
}

/// base^exponent with 4-bit windows; `square4` squares four times.
fn power(
    base: &Limbs,
    exponent: &Limbs,
    one: &Limbs,
    mul: impl Fn(&Limbs, &Limbs) -> Limbs,
    square4: impl Fn(&Limbs) -> Limbs,
) -> Limbs {
    let mut powers = [*one; 16];
    for i in 1..16 {
        powers[i] = mul(&powers[i - 1], base);
    }
    let mut acc = *one;
    for nibble in (0..64).rev() {
        acc = square4(&acc);
        let digit = ((exponent[nibble / 16] >> ((nibble % 16) * 4)) & 0xf) as usize;
        if digit != 0 {
            acc = mul(&acc, &powers[digit]);
        }
    }
    acc
}

fn from_be_bytes(bytes: &[u8]) -> Limbs {
    let mut limbs = [0u64; 4];
    for (i, chunk) in bytes.rchunks(8).take(4).enumerate() {
        let mut word = [0u8; 8];
        word[8 - chunk.len()..].copy_from_slice(chunk);
        limbs[i] = u64::from_be_bytes(word);
    }
    limbs
}

fn is_zero(a: &Limbs) -> bool {
    a.iter().all(|limb| *limb == 0)
}

fn less_than(a: &Limbs, b: &Limbs) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// a − b for a ≥ b.
fn subtract(a: &Limbs, b: &Limbs) -> Limbs {
    let mut out = [0u64; 4];
    let mut borrow = false;
    for i in 0..4 {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        out[i] = d;
        borrow = b1 || b2;
    }
    out
}

/// a + b where the sum fits in 256 bits.
fn add_small(a: &Limbs, b: &Limbs) -> Limbs {
    let mut out = [0u64; 4];
    let mut carry = false;
    for i in 0..4 {
        let (s, c1) = a[i].overflowing_add(b[i]);
        let (s, c2) = s.overflowing_add(u64::from(carry));
        out[i] = s;
        carry = c1 || c2;
    }
    out
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
        UnparsedPublicKey,
    };

    /// Keys and signatures from aws-lc-rs; tests fail on an empty one.
    fn key() -> EcdsaKeyPair {
        match EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING) {
            Ok(key) => key,
            Err(_) => unreachable!("aws-lc-rs generates P-256 keys"),
        }
    }

    fn sign(key: &EcdsaKeyPair, message: &[u8]) -> Vec<u8> {
        key.sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .unwrap_or_default()
    }

    fn aws_lc_says(public: &[u8], message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public)
            .verify(message, signature)
            .is_ok()
    }

    fn to_be_bytes(limbs: &Limbs) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, limb) in limbs.iter().enumerate() {
            out[32 - 8 * (i + 1)..32 - 8 * i].copy_from_slice(&limb.to_be_bytes());
        }
        out
    }

    #[test]
    fn the_generator_table_starts_with_the_generator() {
        let first = generator_table()[0];
        assert_eq!(asm::mul(&first.x, &[1, 0, 0, 0]), GX);
        assert_eq!(asm::mul(&first.y, &[1, 0, 0, 0]), GY);
    }

    #[test]
    fn inverses_multiply_to_one() {
        let a = asm::mul(&[12345, 678, 9, 1], &RR_P);
        assert_eq!(asm::mul(&a, &field_inverse(&a)), ONE_P);
        let b = asm::ord_mul(&[98765, 4321, 0, 7], &RR_N);
        assert_eq!(asm::ord_mul(&b, &ord_inverse(&b)), ONE_N);
    }

    #[test]
    fn signatures_by_the_key_verify_and_agree_with_aws_lc() {
        let key = key();
        let public = key.public_key().as_ref().to_vec();
        let table = KeyTable::new(&public).expect("a table");
        for i in 0..300 {
            let message = format!("eyJ0eXAiOiJkcG9wK2p3dCJ9.proof-{i}");
            let signature = sign(&key, message.as_bytes());
            assert!(table.verify(message.as_bytes(), &signature), "proof {i}");
            // ECDSA also accepts (r, n − s).
            let s = from_be_bytes(&signature[32..]);
            let mut flipped = signature.clone();
            flipped[32..].copy_from_slice(&to_be_bytes(&subtract(&N, &s)));
            assert!(aws_lc_says(&public, message.as_bytes(), &flipped));
            assert!(table.verify(message.as_bytes(), &flipped));
        }
    }

    #[test]
    fn altered_signatures_and_messages_fail_as_with_aws_lc() {
        let (key, other) = (key(), key());
        let public = key.public_key().as_ref().to_vec();
        let table = KeyTable::new(&public).expect("a table");
        for i in 0..200usize {
            let message = format!("header.payload-{i}");
            let signature = sign(&key, message.as_bytes());
            let mut bad_signature = signature.clone();
            bad_signature[i % 64] ^= 1 << (i % 8);
            let mut bad_message = message.clone().into_bytes();
            bad_message[i % message.len()] ^= 0x20;
            let by_other = sign(&other, message.as_bytes());
            for (m, s) in [
                (message.as_bytes(), bad_signature.as_slice()),
                (bad_message.as_slice(), signature.as_slice()),
                (message.as_bytes(), by_other.as_slice()),
            ] {
                assert_eq!(table.verify(m, s), aws_lc_says(&public, m, s), "case {i}");
                assert!(!table.verify(m, s), "case {i}");
            }
        }
    }

    #[test]
    fn out_of_range_signatures_fail() {
        let key = key();
        let public = key.public_key().as_ref().to_vec();
        let table = KeyTable::new(&public).expect("a table");
        let message = b"header.payload";
        let good = sign(&key, message);
        let (r, s) = (good[..32].to_vec(), good[32..].to_vec());
        let n = to_be_bytes(&N);
        let r_plus_n = to_be_bytes(&add_small(&from_be_bytes(&r), &N));
        let zero = [0u8; 32];
        for (r, s) in [
            (&zero[..], &s[..]),
            (&r[..], &zero[..]),
            (&n[..], &s[..]),
            (&r[..], &n[..]),
            (&[0xff; 32][..], &s[..]),
        ] {
            let signature = [r, s].concat();
            assert!(!table.verify(message, &signature));
            assert!(!aws_lc_says(&public, message, &signature));
        }
        // r + n overflows 256 bits only sometimes; when it fits it is
        // still out of range.
        if r_plus_n != zero {
            assert!(!table.verify(message, &[&r_plus_n[..], &s[..]].concat()));
        }
        assert!(!table.verify(message, &good[..63]));
        assert!(!table.verify(message, &[&good[..], &[0]].concat()));
    }

    #[test]
    fn random_signatures_fail_as_with_aws_lc() {
        let key = key();
        let public = key.public_key().as_ref().to_vec();
        let table = KeyTable::new(&public).expect("a table");
        let rng = SystemRandom::new();
        for _ in 0..500 {
            let mut signature = [0u8; 64];
            aws_lc_rs::rand::SecureRandom::fill(&rng, &mut signature).expect("random");
            assert!(!table.verify(b"message", &signature));
            assert!(!aws_lc_says(&public, b"message", &signature));
        }
    }

    #[test]
    fn only_uncompressed_points_in_range_get_a_table() {
        let key = key();
        let public = key.public_key().as_ref().to_vec();
        assert!(KeyTable::new(&public[1..]).is_none());
        let mut compressed = public.clone();
        compressed[0] = 0x02;
        assert!(KeyTable::new(&compressed).is_none());
        let mut too_big = public;
        too_big[1..33].copy_from_slice(&[0xff; 32]);
        assert!(KeyTable::new(&too_big).is_none());
    }
}
