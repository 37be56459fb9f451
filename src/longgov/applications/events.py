"""Audit tags of the applications module (``source:subject:action``)."""

APPLICATION_CREATED = "applications:application:create"
APPLICATION_UPDATED = "applications:application:update"
APPLICATION_SUBMITTED = "applications:application:submit"
APPLICATION_READ = "applications:application:read"
APPLICATIONS_LISTED = "applications:application:list"
APPLICATION_STEP = "applications:application:step"
MATERIAL_UPLOADED = "applications:material:upload"
