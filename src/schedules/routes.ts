import { z } from "zod";
import { defineRoute, queryInt } from "../gateway/router.js";
import { scheduleMethods } from "../../protocol/schedules.js";

const byId = z.strictObject({ id: z.string().min(1).max(100) });

/** The schedule routes (issue 11), declared once for the router and the OpenAPI document; each maps to a `schedules.*` method. */
export const scheduleRoutes = {
  list: defineRoute({ scope: "read", method: "get", path: "/api/schedules", summary: "Every scheduled job with its next due time and last firing.", tag: "schedules", response: scheduleMethods["schedules.list"].result }),
  create: defineRoute({ scope: "admin",
    method: "post", path: "/api/schedules", summary: "Create a job: one of `at`, `cron`, `everyMs`; a `prompt`; `deliverTo` channel address(es).", tag: "schedules",
    status: 201, body: scheduleMethods["schedules.create"].params, response: scheduleMethods["schedules.create"].result, errors: [400],
  }),
  get: defineRoute({ scope: "read", method: "get", path: "/api/schedules/{id}", summary: "One scheduled job.", tag: "schedules", params: byId, response: scheduleMethods["schedules.get"].result, errors: [404] }),
  update: defineRoute({ scope: "admin",
    method: "patch", path: "/api/schedules/{id}", summary: "Change a job made over the API or by the agent (config jobs: 409).", tag: "schedules",
    params: byId, body: scheduleMethods["schedules.update"].params.shape.patch, response: scheduleMethods["schedules.update"].result, errors: [400, 404, 409],
  }),
  delete: defineRoute({ scope: "admin",
    method: "delete", path: "/api/schedules/{id}", summary: "Delete a job made over the API or by the agent (config jobs: 409).", tag: "schedules",
    params: byId, response: scheduleMethods["schedules.delete"].result, errors: [404, 409],
  }),
  run: defineRoute({ scope: "admin",
    method: "post", path: "/api/schedules/{id}/run", summary: "Fire a job now; answers 202 with the recorded firing.", tag: "schedules",
    status: 202, params: byId, response: scheduleMethods["schedules.run"].result, errors: [404],
  }),
  firings: defineRoute({ scope: "read",
    method: "get", path: "/api/schedules/{id}/firings", summary: "A job's firings, newest first (`?limit=50`).", tag: "schedules",
    params: byId, query: z.strictObject({ limit: queryInt(1, 1000).optional() }), response: scheduleMethods["schedules.firings"].result, errors: [404],
  }),
};
