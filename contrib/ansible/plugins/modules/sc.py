#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: synccluster contributors
# MIT License (see the repository's debian/copyright)
"""Runs one synccluster command on the target and reports it to Ansible."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: sc
short_description: Run a synccluster (sc) command on the target
version_added: "0.1.0"
description:
  - Runs C(sc --json MODULE COMMAND ARGS...) on the target, as a list of words (never
    through a shell), and reports what sc did; C(changed) when one of sc's actions
    changed something (or would change it, in check mode), C(failed) when sc exits
    with a non-zero status, with sc's own error as the message.
  - Ansible's check mode runs sc with C(--dry-run), so sc changes nothing and runs nothing
    that changes anything, and reports what it would change.
  - Ansible's diff mode runs sc with C(--diff), which gives the unified diffs of the files sc
    changes (or would change) and the old and new values of settings. sc never shows
    the content of secret files or the values of secret settings in them; this module
    never passes C(--show-secrets).
  - sc refuses commands that change the host unless it runs as root (use C(become)).
options:
  module:
    description:
      - The sc module (C(master), C(user), C(backup)...) or core command (C(settings),
        C(broadcast), C(plugins), C(status)...) to run.
    type: str
    required: true
  command:
    description:
      - The module's command (C(setup), C(add)...), or the first word after a core
        command (C(set) for C(settings)). Omit it for a core command that takes none.
    type: str
  args:
    description:
      - The command's arguments, each passed to sc as one word, unchanged (no shell,
        no expansion of C(~) or C($VAR)). They come after C(--), so a word starting
        with C(-) is never taken for one of sc's global options.
    type: list
    elements: str
    default: []
  settings:
    description:
      - Settings for this run, each given to sc as C(--set NAME=VALUE) (sc's global
        option); a command that asks for a setting takes its value from here and stores
        it when it succeeds, as a typed answer would be stored.
      - Names are sc's setting names (upper case, e.g. C(MASTER_MODE)).
      - The values are shown in Ansible's output and logged by Ansible on the target
        like any module argument (the module masks in its result the values of the
        settings that sc declares secret); give secret values in O(secret_settings).
    type: dict
    default: {}
  secret_settings:
    description:
      - Like O(settings), for secret values (passwords, keys). Ansible never shows or
        logs them (C(no_log)), and every occurrence of them in the module's result is
        masked.
      - They reach sc on its command line, which other users of the target may see
        while it runs; to keep a secret off every command line, store it beforehand
        with O(module=settings) O(command=set) O(args=[NAME]) and the value in O(stdin).
    type: dict
    default: {}
  assume_yes:
    description:
      - Answer yes to sc's yes/no questions (C(--yes)), e.g. trusting a peer's host key
        in C(sshlink add) or confirming a deletion. Without it, sc takes each question's
        default, since it runs without a terminal.
      - (Not named C(yes), which YAML reads as the boolean true when it is a key.)
    type: bool
    default: false
  stdin:
    description:
      - Text given to sc on its standard input (a newline is added when missing), e.g.
        the value read by C(sc settings set NAME) or C(sc user add LOGIN --password-stdin).
        It is treated as a secret (C(no_log)).
      - Without it sc's standard input is empty (C(/dev/null)), so a command that reads
        a value fails at once, saying so.
    type: str
  executable:
    description:
      - Path of sc on the target. By default C(sc) is looked for in C(PATH), then in
        C(/usr/local/sbin), C(/usr/local/bin), C(/usr/sbin) and C(/usr/bin).
    type: path
notes:
  - Supports check mode (C(--dry-run)) and diff mode (C(--diff)).
  - sc's exit status 1 also means "no" for commands that answer a question (C(ready),
    C(has)); use C(failed_when) with the returned O(rc) when such an answer is expected.
  - Warnings that sc logs are shown as Ansible warnings.
author:
  - synccluster contributors
"""

EXAMPLES = r"""
- name: Make this host a roaming client of the master m
  synccluster.sc.sc:
    module: master
    command: setup
    assume_yes: true
    settings:
      MASTER_MODE: roaming
      MASTER_HOST: m
  become: true

- name: Store a setting
  synccluster.sc.sc:
    module: settings
    command: set
    args: [MASTER_SERVICES, none]

- name: Store a secret setting without putting it on a command line
  synccluster.sc.sc:
    module: settings
    command: set
    args: [CLOUD_ADMIN_PASSWORD]
    stdin: "{{ vault_cloud_admin_password }}"

- name: Pull the accounts from the master
  synccluster.sc.sc:
    module: master
    command: pull
  register: pull

- name: Is the backup module set up? (exit status 1 means no)
  synccluster.sc.sc:
    module: backup
    command: ready
  register: backup_ready
  failed_when: backup_ready.rc not in [0, 1]
"""

RETURN = r"""
rc:
  description: sc's exit status (0 ok, 1 failure or "no", 2 bad arguments, 3 module not installed or refused).
  returned: always
  type: int
status:
  description: The status in sc's JSON document (the same as O(rc) unless sc was killed).
  returned: when sc printed its JSON document
  type: int
result:
  description: The command's C(result) in sc's JSON document (data, as each command documents it), or null.
  returned: when sc printed its JSON document
  type: raw
output:
  description: The text the command printed (C(output) in sc's JSON document).
  returned: when sc printed its JSON document
  type: str
error:
  description: sc's error message when it failed, else null.
  returned: when sc printed its JSON document
  type: str
actions:
  description:
    - Every action sc planned, each with C(kind), C(target), C(state) (C(ok), C(changed),
      C(planned) for "would change" under check mode, C(recorded), C(failed)) and, when
      there is one, C(detail) and C(diff) (under diff mode).
  returned: when sc printed its JSON document
  type: list
  elements: dict
summary:
  description: How many actions are in each state (C(ok), C(changed), C(planned), C(recorded), C(failed)).
  returned: when sc printed its JSON document
  type: dict
log:
  description: The messages sc logged (C(level), C(module), C(message)).
  returned: when sc printed its JSON document
  type: list
  elements: dict
stderr:
  description: What sc wrote on its standard error (its log lines, and the output of programs it ran).
  returned: always
  type: str
cmd:
  description: The command line that ran, as a list of words, with the values of O(secret_settings) masked.
  returned: always
  type: list
  elements: str
sc_version:
  description: The version of sc on the target.
  returned: when sc printed its JSON document
  type: str
"""

import json
import os
import re

from ansible.module_utils.basic import AnsibleModule

# sc's own rule for a setting name (core/settings/settings_store.cpp,
# valid_setting_name).
SETTING_NAME = re.compile(r"\A[A-Z][A-Z0-9_]{0,63}\Z")
MASK = "********"
SEARCH_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin"]


def check_settings(module, param):
    for name, value in module.params[param].items():
        if not SETTING_NAME.match(name):
            module.fail_json(
                msg="%s: %r is not a setting name of sc; names are upper-case letters, digits and '_', "
                "starting with a letter (e.g. MASTER_MODE)" % (param, name)
            )
        if value is None or "\0" in str(value):
            module.fail_json(msg="%s: %s needs a value (a text without NUL bytes)" % (param, name))


def setting_text(value):
    # YAML gives booleans and numbers; sc's settings are text, and it stores
    # a bool setting as yes/no (sdk/docs/MANIFEST.md).
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def secret_names(module, sc):
    """The names of the settings sc declares secret (read from the manifests by
    `sc settings list`, which opens no module), or an empty set."""
    rc, out, _err = module.run_command([sc, "--json", "settings", "list"], expand_user_and_vars=False)
    try:
        doc = json.loads(out)
        return set(row["name"] for row in doc.get("result") or [] if row.get("secret"))
    except (ValueError, TypeError, KeyError, AttributeError):
        return set()


def sc_diff(actions):
    """Ansible's diff (a list of prepared texts) from sc's actions: each file's
    unified diff, and a line per setting that changed (sc redacts secrets in both)."""
    diffs = []
    for a in actions:
        if a.get("state") not in ("changed", "planned"):
            continue
        if a.get("diff"):
            text = a["diff"]
            diffs.append({"prepared": text if text.endswith("\n") else text + "\n"})
        elif a.get("kind") == "setting" and a.get("detail"):
            diffs.append({"prepared": "setting %s: %s\n" % (a.get("target", ""), a["detail"])})
    return diffs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            module=dict(type="str", required=True),
            command=dict(type="str"),
            args=dict(type="list", elements="str", default=[]),
            settings=dict(type="dict", default={}),
            secret_settings=dict(type="dict", default={}, no_log=True),
            assume_yes=dict(type="bool", default=False),
            stdin=dict(type="str", no_log=True),
            executable=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    # sc reads /dev/null unless `stdin` is given, never the module's own
    # stdin (which run_command hands down, and which may be a channel that
    # never ends): a command that reads a value then fails at once, saying
    # so, instead of waiting forever. The module's arguments are read by now.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for word, what in ((p["module"], "module"), (p["command"], "command")):
        if word is not None and (word == "" or word.startswith("-")):
            module.fail_json(msg="%s: %r is not a word sc takes there; give the name of the %s" % (what, word, what))
    check_settings(module, "settings")
    check_settings(module, "secret_settings")

    sc = p["executable"] or module.get_bin_path("sc", required=False, opt_dirs=SEARCH_DIRS)
    if not sc:
        module.fail_json(
            msg="sc is not installed on this host (not in PATH nor in %s); install synccluster, "
            "or give its path in executable" % ", ".join(SEARCH_DIRS)
        )

    settings = dict((k, setting_text(v)) for k, v in p["settings"].items())
    secrets = dict((k, setting_text(v)) for k, v in p["secret_settings"].items())
    # A secret setting given in `settings` by mistake: its value is masked in
    # the result all the same.
    if settings:
        for name in secret_names(module, sc) & set(settings):
            module.no_log_values.add(settings[name])

    argv = [sc, "--json"]
    if module.check_mode:
        argv.append("--dry-run")
    if module._diff:
        argv.append("--diff")
    if p["assume_yes"]:
        argv.append("--yes")
    shown = list(argv)
    for name in sorted(settings):
        argv += ["--set", "%s=%s" % (name, settings[name])]
        shown += ["--set", "%s=%s" % (name, settings[name])]
    for name in sorted(secrets):
        argv += ["--set", "%s=%s" % (name, secrets[name])]
        shown += ["--set", "%s=%s" % (name, MASK)]
    # After `--` every word goes to the command: an argument such as
    # "--dry-run" is never taken for a global option.
    words = ["--", p["module"]] + ([p["command"]] if p["command"] is not None else []) + list(p["args"])
    argv += words
    shown += words

    data = p["stdin"] or None
    if data and not data.endswith("\n"):
        data += "\n"
    rc, out, err = module.run_command(argv, data=data, binary_data=True, expand_user_and_vars=False,
                                      environ_update={"NO_COLOR": "1"})

    ret = dict(changed=False, rc=rc, cmd=shown, stderr=err)
    try:
        doc = json.loads(out)
        if not isinstance(doc, dict) or "status" not in doc:
            raise ValueError("not sc's document")
    except ValueError:
        # sc refused its command line before running anything (a bad global
        # option), or it is not sc: its reason is on stderr.
        reason = err.strip() or out.strip() or "no output"
        module.fail_json(msg="sc printed no JSON document (exit status %d): %s" % (rc, reason), stdout=out, **ret)

    actions = doc.get("actions") or []
    summary = doc.get("summary") or {}
    changed = any(a.get("state") in ("changed", "planned") for a in actions) or bool(
        summary.get("changed") or summary.get("planned")
    )
    ret.update(
        changed=changed,
        status=doc.get("status"),
        result=doc.get("result"),
        output=doc.get("output") or "",
        error=doc.get("error"),
        actions=actions,
        summary=summary,
        log=doc.get("log") or [],
        sc_version=doc.get("sc"),
    )
    if module._diff:
        ret["diff"] = sc_diff(actions)
    for entry in ret["log"]:
        if entry.get("level") == "warning":
            module.warn("sc %s: %s" % (entry.get("module") or p["module"], entry.get("message", "")))

    if rc != 0 or doc.get("status") != 0:
        msg = doc.get("error")
        if not msg:
            errors = [e.get("message", "") for e in ret["log"] if e.get("level") == "error"]
            msg = errors[-1] if errors else (err.strip() or "sc failed with exit status %d" % rc)
        module.fail_json(msg=msg, **ret)
    module.exit_json(**ret)


if __name__ == "__main__":
    main()
