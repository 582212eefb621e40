# Known answers for private-chat-crypto, from an independent implementation
# (PyPI noiseprotocol 0.3.1).
from noise.connection import NoiseConnection, Keypair
name = b"Noise_NNpsk0_25519_ChaChaPoly_SHA256"
psk = bytes(range(32))
room = "5f0c2b1e-7a41-4c3e-9d2a-0123456789ab"
prologue = ("privchat/1 handshake " + room).encode()
ie = bytes([0x11] * 32); re_ = bytes([0x22] * 32)
def side(initiator, e):
    c = NoiseConnection.from_name(name)
    c.set_as_initiator() if initiator else c.set_as_responder()
    c.set_psks(psk); c.set_prologue(prologue)
    c.set_keypair_from_private_bytes(Keypair.EPHEMERAL, e)
    c.start_handshake(); return c
i = side(True, ie); r = side(False, re_)
m1 = i.write_message(); r.read_message(m1)
m2 = r.write_message(); i.read_message(m2)
print("msg1", m1.hex()); print("msg2", m2.hex())
print("hash", i.get_handshake_hash().hex())
print("c2j0", i.encrypt(b"hello joiner").hex())
print("j2c0", r.encrypt(b"hello creator").hex())
