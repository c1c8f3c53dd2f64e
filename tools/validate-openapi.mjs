// Checks an OpenAPI document (a file path) against the OpenAPI 3.0/3.1 JSON schemas with an
// independent validator (@seriousme/openapi-schema-validator); exit 1 with the errors.
import { Validator } from "@seriousme/openapi-schema-validator";
import { readFileSync } from "node:fs";

const doc = JSON.parse(readFileSync(process.argv[2], "utf8"));
const validator = new Validator();
const result = await validator.validate(doc);
if (!result.valid) {
  console.error(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
console.log(`valid OpenAPI ${validator.version}`);
