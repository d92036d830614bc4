# A user's own sitecustomize: the probe's must run it too, and leave it as `sitecustomize`.
import os

os.environ["USER_SITECUSTOMIZE_RAN"] = "yes"
