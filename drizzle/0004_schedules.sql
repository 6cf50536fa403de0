CREATE TABLE `schedule_firings` (
	`id` text PRIMARY KEY NOT NULL,
	`schedule_id` text NOT NULL,
	`due_at` integer NOT NULL,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`resumes` integer DEFAULT 0 NOT NULL,
	`run_id` text,
	`error` text,
	`delivery_ids` text DEFAULT '[]' NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`schedule_id`) REFERENCES `schedules`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `schedule_firings_due_idx` ON `schedule_firings` (`schedule_id`,`due_at`);--> statement-breakpoint
CREATE INDEX `schedule_firings_status_idx` ON `schedule_firings` (`status`);--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`source` text NOT NULL,
	`kind` text NOT NULL,
	`spec` text NOT NULL,
	`timezone` text NOT NULL,
	`prompt` text NOT NULL,
	`deliver_to` text DEFAULT '[]' NOT NULL,
	`session` text DEFAULT 'own' NOT NULL,
	`session_id` text,
	`catch_up` text DEFAULT 'once' NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`max_steps` integer,
	`timeout_ms` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`retry_initial_ms` integer NOT NULL,
	`check` text,
	`config_json` text,
	`next_due_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `schedules_due_idx` ON `schedules` (`enabled`,`next_due_at`);