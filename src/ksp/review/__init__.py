"""Review that can be checked: OWNERS rules, SSH-signed series manifests, gate attestations.

- `owners`: who the approvers are (Kubernetes OWNERS / OWNERS_ALIASES).
- `trust`: where OWNERS and ALLOWED_SIGNERS come from (the work tree, or a base commit).
- `rules`: who must sign a patch (ksp.yaml `review:`), as violations naming who may sign.
- `manifest`: a minor's series as canonical text (`vX.Y/SERIES`).
- `sshsig`: signatures made and checked by OpenSSH's `ssh-keygen -Y`.
- `attest`: the gate's evidence as an in-toto Statement.
- `verify`: one minor's signatures, coverage and attestation, for lint, apply and sign.
"""
