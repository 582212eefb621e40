//! The scheme end to end between two in-memory apps, and what a server in
//! the middle can and cannot do to it.

use crate::handshake::testing;
use crate::keys::encrypt_raw;
use crate::*;

const ROOM: &str = "5f0c2b1e-7a41-4c3e-9d2a-0123456789ab";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn noise(frame: &Frame) -> Vec<u8> {
    match frame {
        Frame::Offer { noise } | Frame::Answer { noise, .. } => noise.clone(),
        other => panic!("not a handshake frame: {other:?}"),
    }
}

/// Both sides of a room whose exchange went through untouched.
fn pair() -> (RoomKeys, RoomKeys) {
    let secret = InviteSecret::random();
    let (offer, offer_frame) = Offer::new(&secret, ROOM).unwrap();
    let (joiner, answer_frame) = answer(&secret, ROOM, 1, &noise(&offer_frame)).unwrap();
    let creator = offer.accept(&noise(&answer_frame)).unwrap();
    (creator, joiner)
}

fn text(s: &str) -> Plain {
    Plain::Text { text: s.into() }
}

/// Sealed frame → (counter, ciphertext), through its wire form.
fn sealed(frame: Frame) -> (u64, Vec<u8>) {
    match Frame::parse(&frame.encode()).unwrap() {
        Frame::Sealed {
            counter,
            ciphertext,
        } => (counter, ciphertext),
        other => panic!("{other:?}"),
    }
}

#[test]
fn round_trip_both_ways_and_own_frames_read_back() {
    let (creator, joiner) = pair();
    assert_eq!(creator.safety_code(), joiner.safety_code());
    assert_eq!(creator.safety_code().len(), 7);
    let (n, ct) = sealed(creator.seal(ROOM, 0, &text("hello")).unwrap());
    assert_eq!(joiner.open(ROOM, false, n, &ct).unwrap(), text("hello"));
    assert_eq!(
        creator.open(ROOM, true, n, &ct).unwrap(),
        text("hello"),
        "history of one's own"
    );
    let name = Plain::Hello {
        name: "Quiet Otter".into(),
    };
    let (n, ct) = sealed(joiner.seal(ROOM, 7, &name).unwrap());
    assert_eq!(creator.open(ROOM, false, n, &ct).unwrap(), name);
    // Directions have their own keys: a frame is not its own echo.
    assert_eq!(joiner.open(ROOM, false, n, &ct), Err(CryptoError::Tampered));
}

#[test]
fn tampered_frames_do_not_open() {
    let (creator, joiner) = pair();
    let (n, ct) = sealed(creator.seal(ROOM, 0, &text("pay 10 EUR")).unwrap());
    for i in [0, ct.len() / 2, ct.len() - 1] {
        let mut bad = ct.clone();
        bad[i] ^= 1;
        assert_eq!(
            joiner.open(ROOM, false, n, &bad),
            Err(CryptoError::Tampered)
        );
    }
    // Another counter, another room, or cut short: no.
    assert_eq!(
        joiner.open(ROOM, false, n + 1, &ct),
        Err(CryptoError::Tampered)
    );
    let other_room = "00000000-0000-4000-8000-000000000000";
    assert_eq!(
        joiner.open(other_room, false, n, &ct),
        Err(CryptoError::Tampered)
    );
    assert_eq!(
        joiner.open(ROOM, false, n, &ct[..ct.len() - 1]),
        Err(CryptoError::Tampered)
    );
}

#[test]
fn replayed_and_reordered_frames_are_refused() {
    let (creator, joiner) = pair();
    let first = sealed(creator.seal(ROOM, 0, &text("one")).unwrap());
    let second = sealed(creator.seal(ROOM, 1, &text("two")).unwrap());
    let mut order = Order::default();
    let mut receive = |(n, ct): &(u64, Vec<u8>)| -> Result<Plain, CryptoError> {
        let plain = joiner.open(ROOM, false, *n, ct)?;
        order.accept(false, *n)?;
        Ok(plain)
    };
    // The server delivers "two" before "one": "one" is then refused.
    assert_eq!(receive(&second).unwrap(), text("two"));
    assert_eq!(receive(&first), Err(CryptoError::Replayed));
    // And "two" again is a replay.
    assert_eq!(receive(&second), Err(CryptoError::Replayed));
}

#[test]
fn a_wrong_secret_fails_the_exchange_on_both_sides() {
    let secret = InviteSecret::random();
    let wrong = InviteSecret::random();
    let (offer, offer_frame) = Offer::new(&secret, ROOM).unwrap();
    assert_eq!(
        answer(&wrong, ROOM, 1, &noise(&offer_frame)).unwrap_err(),
        CryptoError::Handshake
    );
    // An answer made with the wrong secret to a (hypothetical) offer of its own.
    let (_, wrong_offer) = Offer::new(&wrong, ROOM).unwrap();
    let (_, wrong_answer) = answer(&wrong, ROOM, 1, &noise(&wrong_offer)).unwrap();
    assert_eq!(
        offer.accept(&noise(&wrong_answer)).unwrap_err(),
        CryptoError::Handshake
    );
    // The right secret in another room's exchange: no.
    let (_, offer_frame) = Offer::new(&secret, ROOM).unwrap();
    let other_room = "00000000-0000-4000-8000-000000000000";
    assert!(answer(&secret, other_room, 1, &noise(&offer_frame)).is_err());
}

#[test]
fn a_server_swapping_handshake_frames_without_the_secret_is_caught() {
    let secret = InviteSecret::random();
    let (offer, offer_frame) = Offer::new(&secret, ROOM).unwrap();
    // The server replaces the offer with its own (it cannot know the secret).
    let (_, forged) = Offer::new(&InviteSecret::random(), ROOM).unwrap();
    assert!(answer(&secret, ROOM, 1, &noise(&forged)).is_err());
    // Or flips a bit of the genuine one.
    let mut flipped = noise(&offer_frame);
    flipped[40] ^= 0x80;
    assert!(answer(&secret, ROOM, 1, &flipped).is_err());
    // It lets the offer through and swaps the answer for one of its own.
    let (_, genuine) = answer(&secret, ROOM, 1, &noise(&offer_frame)).unwrap();
    let mut swapped = noise(&genuine);
    swapped[..32].copy_from_slice(&noise(&forged)[..32]);
    assert_eq!(offer.accept(&swapped).unwrap_err(), CryptoError::Handshake);
}

#[test]
fn a_third_party_with_the_secret_in_the_middle_shows_other_safety_codes() {
    // Someone who holds the invite and runs the server can sit between the
    // two apps; the codes are how people notice.
    let secret = InviteSecret::random();
    let (offer, offer_frame) = Offer::new(&secret, ROOM).unwrap();
    let (to_creator, answer_frame) = answer(&secret, ROOM, 1, &noise(&offer_frame)).unwrap();
    let creator = offer.accept(&noise(&answer_frame)).unwrap();
    let (_, middle_offer) = Offer::new(&secret, ROOM).unwrap();
    let (joiner, _) = answer(&secret, ROOM, 1, &noise(&middle_offer)).unwrap();
    assert_eq!(creator.safety_code(), to_creator.safety_code());
    assert_ne!(creator.safety_code(), joiner.safety_code());
}

#[test]
fn keys_survive_the_key_file_form() {
    let (creator, joiner) = pair();
    let back = RoomKeys::from_bytes(&creator.to_bytes()).unwrap();
    assert_eq!(back.role(), Role::Creator);
    assert_eq!(back.safety_code(), joiner.safety_code());
    let (n, ct) = sealed(joiner.seal(ROOM, 3, &text("still here")).unwrap());
    assert_eq!(back.open(ROOM, false, n, &ct).unwrap(), text("still here"));
    assert!(RoomKeys::from_bytes(&[0; 5]).is_err());
    assert_eq!(format!("{back:?}"), "RoomKeys(Creator, ..)");
}

#[test]
fn seal_refuses_the_last_counter_and_overlong_texts() {
    let (creator, _) = pair();
    assert!(creator.seal(ROOM, u64::MAX, &text("x")).is_none());
    assert!(creator
        .seal(ROOM, 0, &text(&"x".repeat(plain::MAX_TEXT_BYTES + 1)))
        .is_none());
    let longest = creator
        .seal(ROOM, 0, &text(&"x".repeat(plain::MAX_TEXT_BYTES)))
        .unwrap();
    assert!(longest.encode().len() <= frame::MAX_BODY_CHARS);
}

/// Known answers from an independent Noise implementation (PyPI
/// `noiseprotocol` 0.3.1, `crypto/kat/noise_nnpsk0.py`) with fixed
/// ephemeral keys: the same handshake messages, hash and transport frames.
#[test]
fn known_answers_match_an_independent_implementation() {
    let secret = InviteSecret::from_bytes(core::array::from_fn(|i| i as u8));
    let (offer, offer_frame) = testing::offer(&secret, ROOM, &[0x11; 32]);
    assert_eq!(
        noise(&offer_frame),
        hex("7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13d0c146a61faf34965bf4e5f1c2c808ae")
    );
    let (joiner, answer_frame) =
        testing::answer(&secret, ROOM, &noise(&offer_frame), &[0x22; 32]).unwrap();
    assert_eq!(
        noise(&answer_frame),
        hex("0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20ecaeab6224f99b32c26b675b173ccaf9")
    );
    let creator = offer.accept(&noise(&answer_frame)).unwrap();
    let stored = creator.to_bytes();
    assert_eq!(
        &stored[65..],
        hex("107dec4cc31bc0eee579a6341a8c2760c675f82f01230bc9dd21263955ad0015").as_slice()
    );
    let send: [u8; 32] = stored[1..33].try_into().unwrap();
    assert_eq!(
        encrypt_raw(&send, 0, b"hello joiner"),
        hex("6048e4b82277df3051f9fff715acb77a01c731454eae84a447f856e8")
    );
    let joiner_send: [u8; 32] = joiner.to_bytes()[1..33].try_into().unwrap();
    assert_eq!(
        encrypt_raw(&joiner_send, 0, b"hello creator"),
        hex("b12f5798e835e860944263a8188f995b9885a573411a1e3b1ca1945fae")
    );
}

mod properties {
    //! Whatever a server stores as a body, reading it answers and never
    //! panics; what the sender makes, the receiver reads back.
    use proptest::prelude::*;

    use super::*;

    /// One exchange for all cases (a handshake per case would be slow).
    fn keys() -> &'static (RoomKeys, RoomKeys) {
        static KEYS: std::sync::OnceLock<(RoomKeys, RoomKeys)> = std::sync::OnceLock::new();
        KEYS.get_or_init(pair)
    }

    proptest! {
        #[test]
        fn any_body_gets_an_answer(body in ".{0,400}") {
            let _ = Frame::parse(&body);
        }

        #[test]
        fn any_bytes_as_a_frame_get_an_answer(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            use base64::Engine;
            let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
            if let Ok(Frame::Sealed { counter, ciphertext }) = Frame::parse(&body) {
                let (creator, _) = keys();
                prop_assert!(creator.open(ROOM, false, counter, &ciphertext).is_err());
            }
            let _ = Plain::unpad(&bytes);
        }

        #[test]
        fn sealed_texts_read_back(text in ".{0,600}", counter in 0u64..u64::MAX) {
            let (creator, joiner) = keys();
            let plain = Plain::Text { text };
            let frame = creator.seal(ROOM, counter, &plain).unwrap();
            let (n, ct) = sealed(frame);
            prop_assert_eq!(joiner.open(ROOM, false, n, &ct).unwrap(), plain);
        }

        #[test]
        fn frames_read_back(kind in 0u8..4, n in any::<u64>(), bytes in proptest::collection::vec(any::<u8>(), 17..200)) {
            let frame = match kind {
                0 => Frame::Offer { noise: bytes[..17].iter().cycle().take(frame::HANDSHAKE_LEN).copied().collect() },
                1 => Frame::Answer { offer_id: n, noise: bytes[..17].iter().cycle().take(frame::HANDSHAKE_LEN).copied().collect() },
                2 => Frame::Sealed { counter: n, ciphertext: bytes },
                _ => Frame::Abort { offer_id: n },
            };
            prop_assert_eq!(Frame::parse(&frame.encode()).unwrap(), frame);
        }
    }
}
