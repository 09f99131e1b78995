# -*- coding: utf-8 -*-
# Copyright: synccluster contributors
# MIT License (see the repository's debian/copyright)
"""The hosts of a synccluster cluster and their roles, from its master."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: sc
short_description: The hosts and roles of a synccluster cluster, from its master
version_added: "0.1.0"
description:
  - Runs C(sc --json master inventory) on the cluster's master and adds what it
    lists to the inventory. The master knows every host of its cluster (its
    setting C(MASTER_HOSTS), kept by C(sc master setup) of each host and by
    C(sc master hostadd)); it answers with Ansible's dynamic-inventory JSON, a
    group per role (C(master), C(standby), C(backup), C(client), C(roaming)) and,
    for each host, the variables C(sc_role), C(sc_master), C(sc_peer) and, for a
    peer such as C(root@host:2222), C(ansible_user), C(ansible_host) and
    C(ansible_port).
  - On C(localhost) (the default) sc runs here; else through OpenSSH,
    C(ssh [ssh_args] -- MASTER SC --json master inventory), so the controller
    needs to reach the master by key with no prompt, as a user that may read the
    master's settings (root).
  - "The inventory file is YAML whose name ends with C(sc.yml) or C(sc.yaml) (e.g.
    C(sc.yml), C(cluster.sc.yml)), holding C(plugin: synccluster.sc.sc)."
  - Also takes C(compose), C(groups) and C(keyed_groups) (constructed inventory).
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: The name of this plugin; it makes the file an inventory of this plugin.
    required: true
    choices: ["synccluster.sc.sc"]
    type: str
  master:
    description:
      - The master, as OpenSSH reaches it (C(host), C(user@host)); C(localhost) runs
        sc on the controller itself.
    type: str
    default: localhost
  executable:
    description: The command that runs sc on the master.
    type: str
    default: sc
  ssh_executable:
    description: OpenSSH's client on the controller.
    type: str
    default: ssh
  ssh_args:
    description: Options given to ssh before the master's name.
    type: list
    elements: str
    default: ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]
  timeout:
    description: Seconds after which the call to sc is given up.
    type: int
    default: 60
"""

EXAMPLES = r"""
# sc.yml: the cluster of the master m, reached over SSH
plugin: synccluster.sc.sc
master: m

# sc.yml on the master itself, with a group of the hosts whose role is
# client or roaming
plugin: synccluster.sc.sc
groups:
  workstations: sc_role in ['client', 'roaming']
"""

import json
import shlex
import subprocess

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable


class InventoryModule(BaseInventoryPlugin, Constructable):

    NAME = "synccluster.sc.sc"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(("sc.yml", "sc.yaml"))

    def _command(self):
        master = self.get_option("master")
        sc = self.get_option("executable")
        words = [sc, "--json", "master", "inventory"]
        if master in ("localhost", "127.0.0.1", "::1"):
            return words
        if not master or master.startswith("-"):
            raise AnsibleParserError("synccluster.sc.sc: master %r is not a host name; give the master as ssh "
                                     "reaches it (host or user@host)" % master)
        # ssh hands its command to the remote shell as one string: each word
        # quoted for it.
        return ([self.get_option("ssh_executable")] + list(self.get_option("ssh_args")) + ["--", master] +
                [" ".join(shlex.quote(w) for w in words)])

    def _run(self, argv):
        what = " ".join(shlex.quote(w) for w in argv)
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=self.get_option("timeout"))
        except (OSError, subprocess.TimeoutExpired) as e:
            raise AnsibleParserError("synccluster.sc.sc: cannot run %s: %s" % (what, to_native(e)))
        out, err = to_text(p.stdout, errors="surrogate_or_strict"), to_text(p.stderr, errors="surrogate_or_strict")
        try:
            doc = json.loads(out)
            if not isinstance(doc, dict) or "status" not in doc:
                raise ValueError("not sc's JSON document")
        except ValueError:
            raise AnsibleParserError("synccluster.sc.sc: %s printed no JSON document of sc (exit status %d): %s"
                                     % (what, p.returncode, err.strip() or out.strip() or "no output"))
        if p.returncode != 0 or doc["status"] != 0:
            raise AnsibleParserError("synccluster.sc.sc: %s failed (exit status %d): %s"
                                     % (what, p.returncode, doc.get("error") or err.strip()))
        inventory = doc.get("result")
        if not isinstance(inventory, dict):
            raise AnsibleParserError("synccluster.sc.sc: %s gave no inventory (its result is not a JSON object)" % what)
        return inventory

    def _add(self, inventory):
        meta = inventory.get("_meta") or {}
        hostvars = meta.get("hostvars") or {}
        if not isinstance(hostvars, dict):
            raise AnsibleParserError("synccluster.sc.sc: _meta.hostvars is not a JSON object")
        children = {}
        added = set(hostvars)
        for name, data in inventory.items():
            if name == "_meta":
                continue
            if not isinstance(data, dict):
                data = {"hosts": data}
            group = self.inventory.add_group(name)
            hosts = data.get("hosts") or []
            if not isinstance(hosts, list):
                raise AnsibleParserError("synccluster.sc.sc: the hosts of group %s are not a list" % name)
            for host in hosts:
                self.inventory.add_host(host, group=group)
                added.add(host)
            for k, v in (data.get("vars") or {}).items():
                self.inventory.set_variable(group, k, v)
            children[group] = data.get("children") or []
        for group, kids in children.items():
            for kid in kids:
                self.inventory.add_child(group, self.inventory.add_group(kid))
        strict = self.get_option("strict")
        for host, variables in hostvars.items():
            self.inventory.add_host(host)
            for k, v in (variables or {}).items():
                self.inventory.set_variable(host, k, v)
        for host in sorted(added):
            variables = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option("compose"), variables, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, host, strict=strict)

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        self._add(self._run(self._command()))
