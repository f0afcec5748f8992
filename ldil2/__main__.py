"""Command line: ``python -m ldil2 {validate,simulate,build,serve,release,publish,deploy}``.

Each sub-command is a thin wrapper around one function of the package; the work is done there.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ldil2", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a data release against the data contract")
    p.add_argument("data_dir", nargs="?", default="data", type=Path)

    p = sub.add_parser("simulate", help="write a simulated data release from a scenario file")
    p.add_argument("--scenario", type=Path, default=Path("data/scenario.yml"))
    p.add_argument("--seed", type=int, default=None, help="default: the scenario's seed")
    p.add_argument("--per-arm", type=int, default=None, help="participants per arm (scale tests)")
    p.add_argument("--out", type=Path, required=True)

    p = sub.add_parser("build", help="execute the chapters and build the book")
    p.add_argument("--params", type=Path, default=Path("parameters.yml"))
    p.add_argument("-p", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--out", type=Path, default=Path("_build"))
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)

    p = sub.add_parser("serve", help="build, serve on localhost, rebuild and reload on save")
    p.add_argument("--params", type=Path, default=Path("parameters.yml"))
    p.add_argument("-p", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--out", type=Path, default=Path("_build"))
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0: any free port")

    p = sub.add_parser("release", help="snapshot the key results of the current data version")
    p.add_argument("--build", type=Path, default=Path("_build"), help="a built edition")
    p.add_argument("--releases", type=Path, default=Path("releases"))

    p = sub.add_parser("publish", help="add a built edition to a published site's archive")
    p.add_argument("--site", type=Path, required=True, help="the published site folder")
    p.add_argument("--build", type=Path, default=Path("_build"), help="a built edition")
    p.add_argument("--replace", action="store_true", help="overwrite an edition of this version")
    p.add_argument("--base-url", default="", help="the site's public URL (default: relative)")

    p = sub.add_parser("deploy", help="publish a built edition onto the archive's git branch")
    p.add_argument("--repo", type=Path, default=Path("."), help="a clone of the repository")
    p.add_argument("--remote", default="origin")
    p.add_argument("--branch", default="gh-pages")
    p.add_argument("--site", type=Path, default=Path("_site"), help="work tree of the branch")
    p.add_argument("--build", type=Path, default=Path("_build"), help="a built edition")
    p.add_argument("--base-url", default="", help="the site's public URL (default: relative)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        from ldil2.data.release import validate_command

        return validate_command(args.data_dir)
    if args.command == "simulate":
        from ldil2.simulate.release import simulate_command

        return simulate_command(args.scenario, args.seed, args.per_arm, args.out)
    if args.command == "build":
        from ldil2.pipeline.build import build_command

        return build_command(args.params, args.overrides, args.out, args.jobs)
    if args.command == "serve":
        from ldil2.pipeline.serve import serve_command

        return serve_command(args.params, args.overrides, args.out, args.jobs, args.host, args.port)
    if args.command == "publish":
        from ldil2.pipeline.publish import publish_command

        return publish_command(args.build, args.site, args.replace, args.base_url)
    if args.command == "deploy":
        from ldil2.pipeline.deploy import deploy_command

        return deploy_command(
            args.repo, args.remote, args.branch, args.site, args.build, args.base_url
        )
    from ldil2.pipeline.snapshots import release_command

    return release_command(args.build, args.releases)


if __name__ == "__main__":
    sys.exit(main())
