#!/usr/bin/env python3
"""Checks openapi/usage.yaml against the official Python SDK (thousandeyes-sdk-usage).

Reads the SDK's model and api modules as source text (with `ast`; nothing of the SDK is
imported or run) and fails when an operation, parameter, schema or property the SDK knows is
missing from the spec, or has another JSON name, type, requirement or media type.

usage: sdk_parity.py SDK_PACKAGE_DIR   (the folder holding thousandeyes_sdk/usage)
"""

import ast
import pathlib
import re
import sys

import yaml

SCALARS = {
    "StrictStr": {"type": "string"},
    "StrictBool": {"type": "boolean"},
    "StrictInt": {"type": "integer"},
    "datetime": {"type": "string", "format": "date-time"},
}


def snake_to_camel_class(module_name):
    return "".join(part.capitalize() for part in module_name.split("_"))


def unwrap(node):
    """Returns (required, inner annotation) for Optional[...] and Annotated[...]."""
    required = True
    while isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        if node.value.id == "Optional":
            required = False
            node = node.slice
        elif node.value.id == "Annotated":
            node = node.slice.elts[0]
        else:
            break
    return required, node


def describe(node):
    """The SDK type as a small dict comparable with a spec schema."""
    if isinstance(node, ast.Name):
        if node.id in SCALARS:
            return dict(SCALARS[node.id])
        return {"$ref": f"#/components/schemas/{node.id}"}
    if isinstance(node, ast.Subscript) and node.value.id == "List":
        return {"type": "array", "items": describe(node.slice)}
    raise ValueError(ast.dump(node))


def resolve(spec, schema):
    while "$ref" in schema and not schema["$ref"].startswith("#/components/schemas/"):
        raise ValueError(schema)
    return schema


def matches(spec_schema, sdk):
    if "$ref" in sdk:
        return spec_schema.get("$ref") == sdk["$ref"]
    if spec_schema.get("type") != sdk["type"]:
        return False
    if sdk["type"] == "array":
        return matches(spec_schema.get("items", {}), sdk["items"])
    if sdk.get("format") and spec_schema.get("format") != sdk["format"]:
        return False
    return True


def check_models(sdk_dir, spec, problems):
    schemas = spec["components"]["schemas"]
    seen = 0
    for path in sorted((sdk_dir / "models").glob("*.py")):
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text())
        for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
            seen += 1
            name = cls.name
            if name not in schemas:
                problems.append(f"schema {name} missing from the spec")
                continue
            schema = schemas[name]
            if any(isinstance(b, ast.Attribute) and b.attr == "Enum" or
                   isinstance(b, ast.Name) and b.id == "Enum" for b in cls.bases):
                values = [
                    s.value.value for s in cls.body
                    if isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant)
                    and isinstance(s.value.value, str)
                ]
                # 'unknown' is the SDK's own catch-all for values it does not know, not an API value.
                values = [v for v in values if v != "unknown"]
                if sorted(values) != sorted(schema.get("enum", [])):
                    problems.append(f"enum {name}: SDK {values} vs spec {schema.get('enum')}")
                continue
            props = schema.get("properties", {})
            required = set(schema.get("required", []))
            for stmt in cls.body:
                if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                    continue
                if stmt.target.id.startswith("__") or stmt.target.id == "model_config":
                    continue
                alias = stmt.target.id
                if isinstance(stmt.value, ast.Call):
                    for kw in stmt.value.keywords:
                        if kw.arg == "alias":
                            alias = kw.value.value
                is_required, inner = unwrap(stmt.annotation)
                sdk_type = describe(inner)
                where = f"{name}.{alias}"
                if alias not in props:
                    problems.append(f"property {where} missing from the spec")
                    continue
                if not matches(props[alias], sdk_type):
                    problems.append(f"property {where}: SDK {sdk_type} vs spec {props[alias]}")
                if sdk_type.get("type") == "integer" and alias != "status":
                    if props[alias].get("format") != "int64":
                        problems.append(f"property {where}: counters must be int64")
                if is_required != (alias in required):
                    problems.append(f"property {where}: required is {is_required} in the SDK")
    return seen


def check_operations(sdk_dir, spec, problems):
    ops = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            ops[(method.upper(), path)] = op
    params = spec["components"]["parameters"]
    seen = 0
    for path in sorted((sdk_dir / "api").glob("*_api.py")):
        text = path.read_text()
        tree = ast.parse(text)
        for fn in [n for c in tree.body if isinstance(c, ast.ClassDef) for n in c.body
                   if isinstance(n, ast.FunctionDef) and n.name.endswith("_serialize")]:
            seen += 1
            src = ast.get_source_segment(text, fn)
            method = re.search(r"method='(\w+)'", src).group(1)
            resource = re.search(r"resource_path='([^']+)'", src).group(1)
            op = ops.get((method, resource))
            where = f"{method} {resource}"
            if op is None:
                problems.append(f"operation {where} missing from the spec")
                continue
            op_name = fn.name.lstrip("_").removesuffix("_serialize")
            camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), op_name)
            if op["operationId"] != camel:
                problems.append(f"operation {where}: operationId {op['operationId']} vs SDK {camel}")
            spec_params = {}
            for p in op.get("parameters", []):
                p = params[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
                spec_params[p["name"]] = p
            sdk_query = re.findall(r"_query_params\.append\(\s*\('(\w+)'", src)
            for q in sdk_query:
                if q not in spec_params:
                    problems.append(f"operation {where}: query parameter {q} missing")
            for q in spec_params:
                if q not in sdk_query:
                    problems.append(f"operation {where}: spec has parameter {q} the SDK lacks")
            for q, fmt in re.findall(r"'(\w+)': '(\w+)'", src.split("_collection_formats")[1].split("}")[0]):
                p = spec_params.get(q, {})
                if fmt == "csv" and not (p.get("style") == "form" and p.get("explode") is False):
                    problems.append(f"operation {where}: {q} must be style form, explode false")
            body = re.search(r"_body_params = (\w+)", src)
            if body:
                model = snake_to_camel_class(body.group(1))
                got = op.get("requestBody", {}).get("content", {}).get("application/json", {})
                if got.get("schema", {}).get("$ref") != f"#/components/schemas/{model}":
                    problems.append(f"operation {where}: body should be {model} as application/json")
            accept = set(re.findall(r"'(application/[\w+.-]+)'", src.split("select_header_accept")[1].split("]")[0]))
            spec_media = set()
            for status, resp in op["responses"].items():
                if "$ref" in resp:
                    resp = spec["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
                spec_media |= set(resp.get("content", {}))
            if accept != spec_media:
                problems.append(f"operation {where}: SDK accepts {sorted(accept)}, spec answers {sorted(spec_media)}")
        for fn in [n for c in tree.body if isinstance(c, ast.ClassDef) for n in c.body
                   if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")
                   and not n.name.endswith(("_with_http_info", "_without_preload_content"))
                   and n.name != "__init__"]:
            src = ast.get_source_segment(text, fn)
            m = re.search(r"_response_types_map[^{]*\{([^}]*)\}", src)
            if not m:
                continue
            serialize = f"_{fn.name}_serialize"
            ser_src = next((ast.get_source_segment(text, n) for c in tree.body if isinstance(c, ast.ClassDef)
                            for n in c.body if isinstance(n, ast.FunctionDef) and n.name == serialize), None)
            if ser_src is None:
                continue
            method = re.search(r"method='(\w+)'", ser_src).group(1)
            resource = re.search(r"resource_path='([^']+)'", ser_src).group(1)
            op = ops.get((method, resource))
            if op is None:
                continue
            for status, model in re.findall(r"'(\d{3})': (?:\"(\w+)\"|None)", m.group(1)):
                resp = op["responses"].get(status)
                if resp is None:
                    problems.append(f"operation {method} {resource}: status {status} missing")
                    continue
                if "$ref" in resp:
                    resp = spec["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
                refs = {c.get("schema", {}).get("$ref") for c in resp.get("content", {}).values()}
                want = {f"#/components/schemas/{model}"} if model else set()
                if refs != want:
                    problems.append(f"operation {method} {resource}: {status} is {refs}, SDK says {want}")
    return seen


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sdk_dir = pathlib.Path(sys.argv[1]) / "thousandeyes_sdk" / "usage"
    spec_path = pathlib.Path(__file__).with_name("usage.yaml")
    spec = yaml.safe_load(spec_path.read_text())
    problems = []
    models = check_models(sdk_dir, spec, problems)
    operations = check_operations(sdk_dir, spec, problems)
    for p in problems:
        print(f"MISMATCH {p}")
    print(f"sdk parity: {models} SDK models and {operations} operations checked, "
          f"{len(problems)} mismatches")
    sys.exit(1 if problems or models == 0 or operations == 0 else 0)


if __name__ == "__main__":
    main()
