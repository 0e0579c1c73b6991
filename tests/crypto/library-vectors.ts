// Test vectors of @privacyresearch/libsignal-protocol-typescript's own test suite (src/__test__/crypto.test.ts,
// fingerprint-generator.test.ts, testvectors.ts: "Standard Signal Protocol Test Vectors" as Alice and as
// Bob), inherited from libsignal-protocol-javascript. Hex strings; 0x05-prefixed keys are public keys.

export const curve = {
  aliceBytes: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  alicePriv: '70076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c6a',
  alicePub: '058520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  bobBytes: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  bobPriv: '58ab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e06b',
  bobPub: '05de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
  signPriv: '48a8892cc4e49124b7b57d94fa15becfce071830d6449004685e387c62409973',
  signPub: '0555f1bfede27b6a03e0dd389478ffb01462e5c52dbbac32cf870f00af1ed9af3a',
  signMsg: '617364666173646661736466',
  signature: '2bc06c745acb8bae10fbc607ee306084d0c28e2b3bb819133392473431291fd0dfa9c7f11479996cf520730d2901267387e08d85bbf2af941590e3035a545285',
};

export const fingerprint = {
  alice: { id: '+14152222222', key: '0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868' },
  bob: { id: '+14153333333', key: '05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b' },
  digits: '300354477692869396892869876765458257569162576843440918079131',
};

const A1 = '3308c7b899021221058a49fa8a94224aaa8f5873404e01710ff9ef02169a75f90af4fbbc600796e0521a21050a6cf5e075c9970f14862db8a703a6c761f50b5182d17874908940556a22372222d301330a2105883ab58b3eb6db93b32bf91899a5b5175e7b21e96fff2cec02c83dff16ba1b271000180022a0013c5d070d1b75c418cef769bd7378a58969537a00e0ff60cbb99defb486fcfb43384264da4ea9821c1336f02d988da38944453331c4b30181704cbcec5a792ab87c5ccff256e0b4d61ba6a30a6964783875018882e66bfbd9445ac44fee9dc67edc2ad9de78adbe0eb7e9cb990272183ce5fac682ee5106f67d732cd16dfb731239590ba67dc827e849c49a9fb5ed8eed41d85d5e6de3294e74f3524c6489c2f25482ff52f9ea29c928b25030bec09207';
const B1 = '3308c7b899021221058a49fa8a94224aaa8f5873404e01710ff9ef02169a75f90af4fbbc600796e0521a21050a6cf5e075c9970f14862db8a703a6c761f50b5182d17874908940556a22372222d301330a2105883ab58b3eb6db93b32bf91899a5b5175e7b21e96fff2cec02c83dff16ba1b271001180022a001256aae85babf8c0808f75e08bf10a63f7f3aea97324c2583d777f609df493d7d45232c8883c3e1118fbc29b6318a3091ae57fed4f1c54458c6bb832fbb35f24933cb79765d00f4a161e2877a5a21a26592cdb0aa8a2f70f5fbe8c601ecdff0bef1b733d7fd0cb7b7d8fc1e45f79c016c8f90449239ca1a04b374538f2760eef43127ddc9a6439c6ceca5faf5962fb26d7248257d4d5ee3fe4cf8795acc555718558e5317f618828328b25030bec09207';
const C = '330a2105bc81f1348a1d065b2bd2776edb9f29bc4150399db35c1d87dc258b94894bc57a1000180022a001c93af1107634d9eaa1516a4f8e95c6a454c27313b38830709eb863608f08f2f3a598ff8f558645427f7b6ea8e182e40f7b4a92ce0325f2e22f76f36f6954f6f391dd21d2cad12e5b620e75b991e69df8821ab0e826e3cb2ae1c7a1fb8ed72213e36fc508ca1f0a92ebe2089535b5d5e1b34eae5f91497bd072de47de3291ba78a6fd67d3f8f3f20d04ab3a1159df8f36ef7e4696847e32ce6be07edb93763a2226c87feff8cc4827';
const D = '330a2105bc81f1348a1d065b2bd2776edb9f29bc4150399db35c1d87dc258b94894bc57a1001180022a001eb52c72c7bb6b8878c96398cc05810382d29fc17644f88bdc8d57509e8a734626620ae243cb740466806ee3c64bbf12957d5ac0452a17aba6c0e10e2a82626a986df0c4e5cadebb9ce824f1af4fac85cf7d1b9b7cf37f5df06d77b901d0e2aaa772b49f838ec92a67d13b4d7908cf91f7e0a54ad031b2aa4a954180b652f0696350e4f286592e24cc83091b196f2d48397241e33acaf6f65be27af12f1a8af91fd1daf2c01bdfaaa';
const E = '330a2105576f3c29717db75ffd19a37154d4d6beba8d796a26c4244793132f7e6cb180491000180122a001bd139a95021d34d9df74d99aa897981aa6718fd6b72d8567891afff92c6e3534ded0de80be7e7c58730a001f2acc1f1e6447f9ca0a99681f3f65d9a4072f3a1fb978740918d3db5c346170edb3bf8fec2b52362edf7138f93cb23a3f17b0f40bf9769e01273955b14c20b6212cbb1f665d1a7e5e770437a53b1727c13bcd639bf5beba71893b8de435244acddc42c3ba592b7debdacdc4dea12dc7e4e670753419be0455e0043f91';

export type Step =
  | { send: string; ciphertext: string; type: 1 | 3 }
  | { receive: string; ciphertext: string; type: 1 | 3; newEphemeralKey?: string };

/** Alice starts the session from Bob's keys, sends A and B (PreKeyWhisper), receives C and D, sends E. */
export const asAlice = {
  identityKey: 'd83d8141aad5f1d62d78a1af09ffbe61f2d3458eeb887a047a58a07565d24463',
  registrationId: 10290,
  baseKey: '2060fe31b041d28127ac35cbfe790e2a25f92d2e21eb2251690ae75e732f5c4d',
  ephemeralKey: '082e6391deb7154bd0375df3fc07f87020a3b0fd7a8c6c90e73f0e054bc2bf5d',
  bob: {
    identityKey: '059c2197be51bae703ae2edd26b6ff2b03d589ef4851be33a3f8d923ad86a6b439',
    registrationId: 0xd00d,
    preKey: { keyId: 4611143, publicKey: '052cd5004a4c31dd7b89b7fc80cc3e62abcf9cf1af014c93ec4589f7ca3e79e65c' },
    signedPreKey: {
      keyId: 14983230,
      publicKey: '05a9ecf666ec55fc27988ecc417db0d62dd5e1fa751da1f7a2dd2eca0d14c8bd46',
      signature: '0b46fdb238f1e2df7b28a94ba575e58b0aa1d377bb843602cc8c2a7cd33770fdd741f65a240f7c3086f00f31dc4f3b8ceeab498356f8d5e4bfe6f2dd3eeca98f',
    },
  },
  steps: [
    { send: 'A', ciphertext: A1, type: 3 },
    { send: 'B', ciphertext: B1, type: 3 },
    { receive: 'C', ciphertext: C, type: 1, newEphemeralKey: 'd04f334799ea1272eff64c5267e28274f54b91b3b11372879303eb7a8cd52763' },
    { receive: 'D', ciphertext: D, type: 1 },
    { send: 'E', ciphertext: E, type: 1 },
  ] as Step[],
};

/** Bob answers: receives A and B (PreKeyWhisper, one-time prekey 4611143), sends C and D, receives E. */
export const asBob = {
  identityKey: '58c9fb2ec2c6b13e279e7db57ce837c02aac1531504f71130d167cc8fb25a857',
  preKey: { keyId: 4611143, privateKey: '88d9a12e7b03afdac42e49ec9d4e5488e1b1e6d48c6eef6029e45dec09a9d562' },
  signedPreKey: { keyId: 14983230, privateKey: '888b3f14aff80e36bb2d2cc26a72da2e1a99330962f5066c7c1dded1262ca665' },
  steps: [
    { receive: 'A', ciphertext: A1, type: 3, newEphemeralKey: 'f0b66ac79b6f4ae997636bc8ed622a184dbe00603b2c657ac18800122523d142' },
    { receive: 'B', ciphertext: B1, type: 3 },
    { send: 'C', ciphertext: C, type: 1 },
    { send: 'D', ciphertext: D, type: 1 },
    { receive: 'E', ciphertext: E, type: 1, newEphemeralKey: '98bee5f861b528816888d45c2ca40125b111d2c03e483e57e6886c82dd758467' },
  ] as Step[],
};
