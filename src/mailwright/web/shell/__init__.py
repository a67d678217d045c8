"""What every area of the staff UI shares: sign-in and the account page, the dashboard, the
helpers of the views (the acting user, pagination, downloads) and of the forms, the template
context, the error pages and the presentation of figures (charts, reputation banners)."""
