# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tersane.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HashiCorp Vault initialisation and unsealing, for the vault_bootstrap action and module.

Everything here is a plain function or a small class so the rules can be tested
on their own:

* ``decide`` turns Vault's seal status and what the controller holds (keys file,
  operator-supplied keys) into a ``Plan``: the actions to take or the reason to
  fail. It never plans a second initialisation and never plans to overwrite or
  move an existing keys file.
* ``build_document`` / ``dump_document`` / ``load_document`` turn the one-time
  answer of ``sys/init`` into the document stored (encrypted) on the controller.
* ``atomic_write`` writes that document: a temporary file in the same directory,
  fsync, then a link (never replacing an existing file) and a directory fsync.
* ``VaultClient`` speaks to ``sys/seal-status``, ``sys/init``, ``sys/unseal``
  and ``sys/health`` through hvac.

No message built here contains an unseal key or a token; ``redact`` scrubs the
ones that come from elsewhere (exceptions of the HTTP stack).
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import tempfile
import traceback
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

HVAC_IMPORT_ERROR: Optional[str]
try:
    import hvac
    import hvac.exceptions
    import requests
except ImportError:
    HVAC_IMPORT_ERROR = traceback.format_exc()
else:
    HVAC_IMPORT_ERROR = None

DOCUMENT_FORMAT = "tersane.platform.vault_bootstrap/1"
INIT = "init"
UNSEAL = "unseal"
KEYS_FILE = "keys_file"
OPERATOR_KEYS = "unseal_keys"
NEW_KEYS = "init_response"
# Seals that unseal Vault on their own (a Transit engine of another Vault, a cloud
# KMS, an HSM): Vault then gives recovery keys at initialisation, not unseal keys.
AUTO_SEAL_TYPES = ("transit", "awskms", "gcpckms", "azurekeyvault", "ocikms", "alicloudkms", "pkcs11", "kmip")
SUPPORTED_SEAL_TYPES = ("", "shamir") + AUTO_SEAL_TYPES
MAX_SHARES = 255
REDACTED = "********"


class VaultBootstrapError(Exception):
    """A failure whose message is safe to show: it never holds a key or a token."""


class VaultAPIError(VaultBootstrapError):
    """Vault answered with an error, or could not be reached."""


def argument_spec() -> Dict[str, Dict[str, Any]]:
    """Options shared by the module and the action plugin (a new dict on every call)."""
    return dict(
        url=dict(type="str", default="https://127.0.0.1:8200"),
        validate_certs=dict(type="bool", default=True),
        ca_cert=dict(type="path"),
        timeout=dict(type="float", default=30),
        key_shares=dict(type="int", default=5, no_log=False),
        key_threshold=dict(type="int", default=3, no_log=False),
        pgp_keys=dict(type="list", elements="str", no_log=False),  # public keys
        keys_file=dict(type="path", required=True, no_log=False),
        vault_id=dict(type="str"),
        unseal_keys=dict(type="list", elements="str", no_log=True),
        auto_unseal_timeout=dict(type="int", default=30),
    )


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------

def validate_shares(shares: int, threshold: int, pgp_keys: Optional[Sequence[str]] = None) -> None:
    """Raise ``ValueError`` unless Vault would accept this Shamir configuration.

    The rules are Vault's own (``SealConfig.Validate``): 1 <= threshold <= shares
    <= 255, a threshold of 1 only with a single share, and one PGP key per share.
    """
    if shares < 1:
        raise ValueError("key_shares must be at least 1, got %d" % shares)
    if shares > MAX_SHARES:
        raise ValueError("key_shares must be at most %d, got %d" % (MAX_SHARES, shares))
    if threshold < 1:
        raise ValueError("key_threshold must be at least 1, got %d" % threshold)
    if threshold > shares:
        raise ValueError("key_threshold (%d) cannot be larger than key_shares (%d)" % (threshold, shares))
    if shares > 1 and threshold == 1:
        raise ValueError("key_threshold must be greater than 1 when key_shares is %d" % shares)
    if pgp_keys and len(pgp_keys) != shares:
        raise ValueError("pgp_keys has %d keys but key_shares is %d: Vault needs one PGP key per share"
                         % (len(pgp_keys), shares))


# --------------------------------------------------------------------------
# Status and decision
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class SealStatus:
    initialized: bool
    sealed: bool
    threshold: int = 0
    shares: int = 0
    progress: int = 0
    seal_type: str = "shamir"
    version: str = ""
    recovery_seal: bool = False

    @property
    def auto_unseal(self) -> bool:
        """Whether Vault's seal unseals it (and its keys are recovery keys)."""
        return self.seal_type in AUTO_SEAL_TYPES

    @classmethod
    def from_api(cls, doc: Mapping[str, Any]) -> "SealStatus":
        """Read the body of ``GET sys/seal-status`` (and of ``sys/unseal``)."""
        if not isinstance(doc, Mapping) or "sealed" not in doc:
            raise VaultAPIError("Vault's seal status answer has no 'sealed' field")
        return cls(initialized=bool(doc.get("initialized", True)), sealed=bool(doc["sealed"]),
                   threshold=int(doc.get("t") or 0), shares=int(doc.get("n") or 0),
                   progress=int(doc.get("progress") or 0), seal_type=str(doc.get("type") or ""),
                   version=str(doc.get("version") or ""), recovery_seal=bool(doc.get("recovery_seal")))

    def as_result(self) -> Dict[str, Any]:
        return dict(initialized=self.initialized, sealed=self.sealed, threshold=self.threshold,
                    shares=self.shares, progress=self.progress, seal_type=self.seal_type,
                    version=self.version, recovery_seal=self.recovery_seal)


@dataclass(frozen=True)
class Plan:
    """What to do. ``failure`` set: do nothing and fail with it."""
    actions: Tuple[str, ...] = ()
    unseal_from: Optional[str] = None  # KEYS_FILE, OPERATOR_KEYS or NEW_KEYS
    failure: Optional[str] = None
    notes: Tuple[str, ...] = ()

    @property
    def changes(self) -> bool:
        return bool(self.actions)


def pgp_skip_note(keys_file: str) -> str:
    return ("unseal skipped: the unseal keys stored in %s are PGP-encrypted to the holders of pgp_keys; "
            "unseal with their decrypted keys (the unseal_keys option or 'vault operator unseal')" % keys_file)


def auto_unseal_note(seal_type: str) -> str:
    return ("Vault's '%s' seal unseals it: the stored keys are recovery keys (for generate-root and rekey), "
            "not unseal keys" % seal_type)


def existing_keys_file_failure(url: str, keys_file: str) -> str:
    return ("%s is not initialised but the keys file %s already exists. Refusing to initialise: the file "
            "may hold the only copy of the unseal keys of another Vault (wrong url or keys_file, storage "
            "to be restored) and it is never overwritten or moved by this module. If its keys are "
            "obsolete, move it aside (for example to %s.stale-<date>) and run again." % (url, keys_file, keys_file))


def decide_auto_unseal(status: SealStatus, keys_file: str, keys_file_exists: bool, url: str = "Vault") -> Plan:
    """The plan for a Vault whose seal unseals it (``status.auto_unseal``).

    * not initialised, no keys file: initialise (recovery keys); the seal unseals it;
    * not initialised, keys file present: refuse, as for a Shamir seal;
    * initialised and sealed: fail. Only the seal unseals it, so the seal is unreachable
      or refused it; recovery keys cannot help;
    * initialised and unsealed: nothing to do, with or without a keys file.
    """
    if not status.initialized:
        if keys_file_exists:
            return Plan(failure=existing_keys_file_failure(url, keys_file))
        return Plan(actions=(INIT,), notes=(auto_unseal_note(status.seal_type),))
    if status.sealed:
        return Plan(failure=(
            "%s is initialised and sealed, and its '%s' seal is what unseals it: Vault cannot reach that seal "
            "or the seal refused it (Vault's log says which). Recovery keys do not unseal; once the seal answers "
            "again, restart Vault and it unseals itself." % (url, status.seal_type)))
    return Plan()


def decide(status: SealStatus, keys_file: str, keys_file_exists: bool,
           operator_keys: bool = False, pgp: bool = False, url: str = "Vault") -> Plan:
    """The actions that bring Vault to initialised and unsealed, or why that must not be tried.

    * not initialised, no keys file: initialise, then unseal with the new keys
      (with ``pgp`` the new keys are encrypted to others: initialise only);
    * not initialised, keys file present: refuse. The file may be the only copy of
      another Vault's keys (a wrong URL, a shared path, storage restored later);
      it is never overwritten or moved: a person moves it aside;
    * initialised, sealed: unseal with the operator's keys, else with the keys file;
    * initialised without a keys file and without operator keys: fail, never re-initialise.
    """
    if status.seal_type not in SUPPORTED_SEAL_TYPES:
        return Plan(failure="%s uses the '%s' seal, which vault_bootstrap does not know (it handles the Shamir "
                            "seal and the auto-unseal seals %s)" % (url, status.seal_type, ", ".join(AUTO_SEAL_TYPES)))
    if status.auto_unseal:
        return decide_auto_unseal(status, keys_file, keys_file_exists, url)
    if not status.initialized:
        if keys_file_exists:
            return Plan(failure=existing_keys_file_failure(url, keys_file))
        if pgp:
            return Plan(actions=(INIT,), notes=(pgp_skip_note(keys_file),))
        return Plan(actions=(INIT, UNSEAL), unseal_from=NEW_KEYS)
    if operator_keys:
        if status.sealed:
            return Plan(actions=(UNSEAL,), unseal_from=OPERATOR_KEYS)
        return Plan()
    if not keys_file_exists:
        return Plan(failure=(
            "%s is already initialised but the keys file %s does not exist: its unseal keys were not stored "
            "by this collection (Vault was initialised elsewhere, or the file was moved or deleted). It is "
            "never initialised again. Restore the keys file, or pass the keys with unseal_keys." % (url, keys_file)))
    if status.sealed:
        return Plan(actions=(UNSEAL,), unseal_from=KEYS_FILE)
    return Plan()


# --------------------------------------------------------------------------
# The stored document
# --------------------------------------------------------------------------

def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def build_document(init_response: Mapping[str, Any], shares: int, threshold: int, pgp: bool = False,
                   created: Optional[datetime.datetime] = None, url: str = "",
                   host: str = "", seal_type: str = "shamir") -> Dict[str, Any]:
    """The document stored for one initialisation, from the answer of ``sys/init``.

    With an auto-unseal ``seal_type`` the keys are recovery keys: they are kept under
    ``recovery_keys_b64`` and ``recovery_keys_hex``, so nothing mistakes them for unseal keys.
    """
    recovery = seal_type in AUTO_SEAL_TYPES
    field_b64, field_hex = ("recovery_keys_base64", "recovery_keys") if recovery else ("keys_base64", "keys")
    keys_b64 = init_response.get(field_b64) or []
    keys_hex = init_response.get(field_hex) or []
    token = init_response.get("root_token")
    if not isinstance(keys_b64, list) or not keys_b64 or not all(isinstance(k, str) and k for k in keys_b64):
        raise VaultBootstrapError("Vault's init answer has no %s list" % field_b64)
    if not isinstance(token, str) or not token:
        raise VaultBootstrapError("Vault's init answer has no root_token")
    if len(keys_b64) != shares:
        raise VaultBootstrapError("Vault's init answer has %d keys, %d were asked for" % (len(keys_b64), shares))
    if recovery:
        return {
            "format": DOCUMENT_FORMAT,
            "created": (created or utc_now()).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "url": url,
            "host": host,
            "seal_type": seal_type,
            "shares": shares,
            "threshold": threshold,
            "pgp_encrypted": bool(pgp),
            "recovery_keys_b64": list(keys_b64),
            "recovery_keys_hex": list(keys_hex) if isinstance(keys_hex, list) else [],
            "root_token": token,
        }
    return {
        "format": DOCUMENT_FORMAT,
        "created": (created or utc_now()).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "url": url,
        "host": host,
        "shares": shares,
        "threshold": threshold,
        "pgp_encrypted": bool(pgp),
        "keys_b64": list(keys_b64),
        "keys_hex": list(keys_hex) if isinstance(keys_hex, list) else [],
        "root_token": token,
    }


def dump_document(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def load_document(text: str, source: str = "the keys file") -> Dict[str, Any]:
    """Parse and check a stored document. Error messages never quote the content."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise VaultBootstrapError("%s does not hold a vault_bootstrap keys document (not JSON)" % source)
    if not isinstance(doc, dict) or doc.get("format") != DOCUMENT_FORMAT:
        raise VaultBootstrapError("%s does not hold a vault_bootstrap keys document (format %s expected)"
                                  % (source, DOCUMENT_FORMAT))
    field = "recovery_keys_b64" if doc.get("seal_type") in AUTO_SEAL_TYPES else "keys_b64"
    keys = doc.get(field)
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
        raise VaultBootstrapError("%s has no %s list" % (source, field))
    for name in ("shares", "threshold"):
        if not isinstance(doc.get(name), int):
            raise VaultBootstrapError("%s has no integer '%s'" % (source, name))
    return doc


def document_secrets(doc: Mapping[str, Any]) -> List[str]:
    """Every secret value of a document, for ``redact``."""
    values = [value for name in ("keys_b64", "keys_hex", "recovery_keys_b64", "recovery_keys_hex")
              for value in doc.get(name) or []]
    if doc.get("root_token"):
        values.append(doc["root_token"])
    return [v for v in values if isinstance(v, str) and v]


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced, longest first."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------

def destination_problem(path: str) -> Optional[str]:
    """Why a new file could not be written at ``path``, or None."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return "keys_file %s is a directory" % path
    if not os.path.isdir(directory):
        return "the directory %s of keys_file does not exist" % directory
    if not os.access(directory, os.W_OK | os.X_OK):
        return "the directory %s of keys_file is not writable" % directory
    return None


def timestamp(now: Optional[datetime.datetime] = None) -> str:
    return (now or utc_now()).strftime("%Y%m%dT%H%M%SZ")


def rescue_path(path: str, now: Optional[datetime.datetime] = None) -> str:
    """Where the document goes when ``path`` cannot take it."""
    return "%s.rescue-%s" % (path, timestamp(now))


def rescue_files(path: str) -> List[str]:
    """Rescue copies left next to ``path`` by an earlier run, oldest first."""
    directory, base = os.path.split(os.path.abspath(path))
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    prefix = base + ".rescue-"
    return sorted(os.path.join(directory, n) for n in names if n.startswith(prefix) and not n.endswith(".tmp"))


def _fsync_directory(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes, mode: int = 0o600, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` all at once, with ``mode``.

    A temporary file in the same directory is written and fsynced, then linked
    (or, with ``overwrite``, renamed) into place and the directory fsynced, so
    ``path`` never holds a partial file. Without ``overwrite`` an existing
    ``path`` is left alone and ``FileExistsError`` raised.
    """
    path = os.path.abspath(path)
    directory, base = os.path.split(path)
    fd, temp = tempfile.mkstemp(prefix=".%s." % base, suffix=".tmp", dir=directory)
    try:
        try:
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as handle:
                fd = -1
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            if fd != -1:
                os.close(fd)
        if overwrite:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)
            except FileExistsError:
                raise
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                # No hard links on this filesystem: check, then rename.
                if os.path.lexists(path):
                    raise FileExistsError(errno.EEXIST, "file exists", path)
                os.rename(temp, path)
        _fsync_directory(directory)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)


# --------------------------------------------------------------------------
# Vault's HTTP API
# --------------------------------------------------------------------------

HEALTH_STATES = {
    200: "active",
    429: "standby",
    472: "dr_secondary",
    473: "performance_standby",
    474: "standby_disconnected",
    501: "not_initialized",
    503: "sealed",
    530: "removed",
}


@dataclass
class VaultClient:
    """The unauthenticated ``sys/`` endpoints that bootstrap a Vault.

    Requests ignore proxy variables of the environment and never follow
    redirects, so an unseal key only ever goes to ``url``.
    """
    url: str
    verify: Any = True
    timeout: float = 30
    secrets: List[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if HVAC_IMPORT_ERROR is not None:
            raise VaultBootstrapError("the hvac Python library is needed to talk to Vault")
        session = requests.Session()
        session.trust_env = False
        session.verify = self.verify
        self._client = hvac.Client(url=self.url, token="", verify=self.verify, timeout=self.timeout,
                                   session=session, allow_redirects=False)

    def _error(self, what: str, exc: Exception) -> VaultAPIError:
        if isinstance(exc, hvac.exceptions.VaultError):
            detail = ", ".join(str(e) for e in (exc.errors or [])) or "no error text"
            message = "Vault at %s refused %s: %s (%s)" % (self.url, what, detail, type(exc).__name__)
        else:
            message = "cannot reach Vault at %s for %s: %s: %s" % (self.url, what, type(exc).__name__, exc)
        return VaultAPIError(redact(message, self.secrets))

    def _call(self, what: str, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (hvac.exceptions.VaultError, requests.exceptions.RequestException, ValueError) as exc:
            raise self._error(what, exc)

    def seal_status(self) -> SealStatus:
        return SealStatus.from_api(self._call("sys/seal-status", self._client.sys.read_seal_status))

    def initialize(self, shares: int, threshold: int, pgp_keys: Optional[Sequence[str]] = None,
                   recovery: bool = False) -> Dict[str, Any]:
        """``sys/init``: the only answer that ever holds the keys and the root token.

        With ``recovery`` (an auto-unseal seal) the shares are recovery keys: Vault
        keeps its root key with the seal."""
        if recovery:
            answer = self._call("sys/init", self._client.sys.initialize, recovery_shares=shares,
                                recovery_threshold=threshold,
                                recovery_pgp_keys=list(pgp_keys) if pgp_keys else None)
        else:
            answer = self._call("sys/init", self._client.sys.initialize, secret_shares=shares,
                                secret_threshold=threshold, pgp_keys=list(pgp_keys) if pgp_keys else None)
        if not isinstance(answer, dict):
            raise VaultAPIError("Vault at %s gave no JSON answer to sys/init" % self.url)
        return answer

    def submit_key(self, key: str) -> SealStatus:
        self.secrets.append(key)
        return SealStatus.from_api(self._call("sys/unseal", self._client.sys.submit_unseal_key, key=key))

    def reset_unseal(self) -> SealStatus:
        return SealStatus.from_api(self._call("sys/unseal reset", self._client.sys.submit_unseal_key,
                                              reset=True))

    def health(self) -> Tuple[int, str, Dict[str, Any]]:
        """``GET sys/health``: status code, its documented meaning, body."""
        answer = self._call("sys/health", self._client.sys.read_health_status, method="GET")
        if isinstance(answer, dict):  # hvac decodes 200 answers only
            return 200, HEALTH_STATES[200], answer
        try:
            body = answer.json()
        except ValueError:
            body = {}
        return answer.status_code, HEALTH_STATES.get(answer.status_code, "unknown"), body


def unseal(client: VaultClient, keys: Sequence[str]) -> Tuple[SealStatus, int]:
    """Submit ``keys`` until Vault is unsealed; returns the last status and the keys submitted.

    An unseal already in progress (keys given by someone else, or by a run that
    was interrupted) is reset first, so the count starts from this run's keys.
    """
    client.secrets.extend(keys)
    status = client.seal_status()
    if not status.initialized:
        raise VaultBootstrapError("Vault at %s is not initialised: nothing to unseal" % client.url)
    if not status.sealed:
        return status, 0
    if status.progress:
        status = client.reset_unseal()
    submitted = 0
    for number, key in enumerate(keys, start=1):
        try:
            status = client.submit_key(key)
        except VaultAPIError as exc:
            raise VaultAPIError("unseal key %d of %d: %s" % (number, len(keys), redact(str(exc), keys)))
        submitted += 1
        if not status.sealed:
            return status, submitted
    raise VaultBootstrapError("Vault at %s is still sealed after %d unseal keys (threshold %d, progress %d): "
                              "the keys do not belong to this Vault or are too few"
                              % (client.url, submitted, status.threshold, status.progress))
