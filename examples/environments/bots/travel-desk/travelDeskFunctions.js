// Bot functions for the Travel Desk bot (uploaded as the bot's functions file).

/** Formats an ISO date (2026-11-20) the way travellers read it (20 Nov 2026). */
function formatTravelDate(iso) {
    var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    var parts = iso.split("-");
    return parseInt(parts[2], 10) + " " + months[parseInt(parts[1], 10) - 1] + " " + parts[0];
}
